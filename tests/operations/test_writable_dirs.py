"""The process makes the directories it is configured to write to, or says in one line which one it
cannot make (issue 31: PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus, set by the Dockerfile, the
ConfigMap and the cloud manifests, was never created - a container's /tmp is an empty tmpfs or
emptyDir - so `idp serve`, `idp db upgrade`, `idp db purge` and even `idp --help` died with
FileNotFoundError when the metrics were defined)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

IDP = [sys.executable, "-m", "idp.cli"]


def run(args, env, timeout=120):
    full = {k: v for k, v in os.environ.items() if not k.startswith(("PROMETHEUS_", "DATABASE_URL", "DRAIN_", "REDIS_URL"))}
    full.update(env)
    return subprocess.run(IDP + args, env=full, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("args", [["--help"], ["db", "upgrade"], ["db", "purge", "--dry-run"]])
def test_cli_makes_the_missing_prometheus_multiproc_dir(args, tmp_path):
    metrics_dir = tmp_path / "tmpfs" / "prometheus"  # a fresh /tmp: the directory is not there
    database = tmp_path / "data" / "idp.sqlite"  # nor is a SQLite database's directory
    if args[:2] == ["db", "purge"]:  # the purge needs the schema, made with the metrics elsewhere
        assert run(["db", "upgrade"], {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "first"),
                                       "DATABASE_URL": f"sqlite:///{database}"}).returncode == 0
    done = run(args, {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "DATABASE_URL": f"sqlite:///{database}",
                      "IDP_ENV": "development"})
    assert done.returncode == 0, done.stderr
    assert metrics_dir.is_dir() and "Traceback" not in done.stderr
    if args != ["--help"]:
        assert database.exists()


def test_serve_makes_the_directory_of_the_drain_file(tmp_path):
    """--help of serve loads nothing; the drain file's directory is made when serving starts."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    done = run(["serve"], {"IDP_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path}/idp.sqlite",
                           "DRAIN_FILE": str(blocker / "drain" / "idp-draining")})
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"Error: DRAIN_FILE: cannot create the directory '{blocker}/drain': Not a directory"]


@pytest.mark.parametrize("setting,value,args", [
    ("PROMETHEUS_MULTIPROC_DIR", "{blocker}/prometheus", ["--help"]),
    ("PROMETHEUS_MULTIPROC_DIR", "{blocker}/prometheus", ["db", "upgrade"]),
    ("DATABASE_URL", "sqlite:///{blocker}/data/idp.sqlite", ["db", "upgrade"]),
])
def test_a_directory_that_cannot_be_made_is_named_in_one_line(setting, value, args, tmp_path):
    blocker = tmp_path / "a-file"  # a directory cannot be made under a file, whoever runs the test
    blocker.write_text("")
    env = {"IDP_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path}/idp.sqlite"}
    env[setting] = value.format(blocker=blocker)
    done = run(args, env)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and setting in lines[0] and "cannot create the directory" in lines[0], done.stderr
