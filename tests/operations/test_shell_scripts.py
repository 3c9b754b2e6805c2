"""shellcheck on every shell script the repository holds, wherever it lives (scripts/, bench/,
.ci/, deploy/...): found by its shebang, not by a list that a new script could miss."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHELLCHECK = shutil.which("shellcheck")
SHELLS = ("#!/bin/sh", "#!/bin/bash", "#!/usr/bin/env bash", "#!/usr/bin/env sh")


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "-C", ROOT, "ls-files", "-z"], capture_output=True, text=True, timeout=30)
    if listed.returncode == 0:
        return [os.path.join(ROOT, p) for p in listed.stdout.split("\0") if p]
    skip = {".git", ".venv", "node_modules"}
    return [os.path.join(d, f) for d, dirs, files in os.walk(ROOT) if not dirs.__setitem__(
        slice(None), [x for x in dirs if x not in skip]) for f in files]


def shell_scripts() -> list[str]:
    found = []
    for path in tracked_files():
        try:
            with open(path, "rb") as handle:
                first = handle.readline().decode("utf-8", "replace").strip()
        except (FileNotFoundError, IsADirectoryError):
            continue
        if first.startswith(SHELLS) or path.endswith(".sh"):
            found.append(path)
    return sorted(found)


def test_the_scripts_are_found_wherever_they_live():
    names = {os.path.relpath(p, ROOT) for p in shell_scripts()}
    assert {".ci/run", "scripts/backup.sh", "scripts/update.sh", "bench/soak.sh"} <= names


@pytest.mark.skipif(not SHELLCHECK, reason="shellcheck is not installed (.ci/run installs Debian's)")
def test_every_shell_script_of_the_repository_is_shellcheck_clean():
    result = subprocess.run([SHELLCHECK, "--severity=style", "--external-sources", *shell_scripts()],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
