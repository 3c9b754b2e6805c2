from __future__ import annotations

import pytest

from .containers import build_image


@pytest.fixture(scope="session")
def built_image():
    """The image, built by deploy/ci/build-image.sh from the unchanged Dockerfile."""
    return build_image()
