"""Podman for the image tests: the image built by deploy/ci/build-image.sh (once per session, its
layers and base cached on this machine), and podman run with the containers.conf that script
writes for this kind of machine (runc, the ulimits the sandbox allows).

Without podman the tests skip, saying why - except in CI (CI set), where they fail: CI must run
the image."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_SCRIPT = os.path.join(ROOT, "deploy", "ci", "build-image.sh")
IMAGE = os.environ.get("IDP_TEST_IMAGE", "localhost/idp:ci")
# The container as deploy/k8s/deployment.yaml runs it: read-only root, a small /tmp (its emptyDir
# has sizeLimit 64Mi), no capability, no privilege escalation, user 1001. --network host reaches
# this machine's PostgreSQL and Redis on 127.0.0.1 (the ports are chosen free per run).
HARDENED = ["--read-only", "--tmpfs", "/tmp:rw,size=64m,mode=1777", "--cap-drop", "ALL",
            "--security-opt", "no-new-privileges", "--user", "1001:1001", "--network", "host"]
_env: dict[str, str] = {}


def unavailable(reason: str):
    """Skip, or fail in CI where the image must be built and run."""
    if os.environ.get("CI"):
        pytest.fail(f"CI is set, so the image tests must run: {reason}")
    pytest.skip(reason)


def podman(*args, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(["podman", *args], env=_env or None, capture_output=True, text=True, timeout=timeout)
    if check:
        assert done.returncode == 0, f"podman {' '.join(args)}: {done.stderr[-3000:]}"
    return done


def build_image() -> dict:
    """Build (or find cached) IMAGE; the build's seconds and the containers.conf to use."""
    if not shutil.which("podman"):
        unavailable("podman is not installed (apt-get install podman runc mmdebstrap; .ci/run does it)")
    started = time.monotonic()
    done = subprocess.run([BUILD_SCRIPT, IMAGE], cwd=ROOT, capture_output=True, text=True, timeout=3600)
    assert done.returncode == 0, f"deploy/ci/build-image.sh failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    conf = [line.split("=", 1)[1] for line in done.stdout.splitlines() if line.startswith("CONTAINERS_CONF=")]
    _env.update(os.environ, CONTAINERS_CONF=conf[-1])
    return {"image": IMAGE, "seconds": time.monotonic() - started, "log": done.stdout}


def wait_for(predicate, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()
