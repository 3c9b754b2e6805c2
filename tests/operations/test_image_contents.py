"""What the image's final stage holds (issue 31, item 6): the virtualenv, the code, its templates and
migrations on a Debian python3 base - and no compiler, package cache, test suite, VCS, key
directory, private key or secret. Inspected by running a shell in the image as root (read-only,
no network), so nothing is hidden by permissions."""

from __future__ import annotations

import json

import pytest

from .containers import podman

# Inside the image: a JSON report of what the assertions below look at.
SURVEY = r"""
import json, os, re, shutil
PEM_KEY = re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----\s+[A-Za-z0-9+/=\s]{64,}-----END")
found = {"tools": {t: shutil.which(t) for t in ("gcc", "cc", "c++", "make", "ld", "as", "git")},
         "app": sorted(os.listdir("/app")), "private_keys": [], "caches": [], "unwanted": []}
for top in ("/app", "/opt/venv", "/root", "/home", "/etc", "/usr/local", "/var", "/tmp"):
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(root, name)
            if name in (".git", "tests", "keys", ".env", ".pytest_cache", "node_modules") and root.startswith("/app"):
                found["unwanted"].append(path)
            if name == ".cache" or (name == "pip" and root.endswith(".cache")) or path.startswith("/var/cache/apt/archives/") and name.endswith(".deb"):
                found["caches"].append(path)
            if name.endswith((".sqlite", ".env")):
                found["unwanted"].append(path)
        for name in files:
            path = os.path.join(root, name)
            try:
                if os.path.getsize(path) < 1 << 20 and not os.path.islink(path):
                    with open(path, "rb") as handle:
                        if PEM_KEY.search(handle.read()):
                            found["private_keys"].append(path)
            except OSError:
                pass
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def survey(built_image):
    done = podman("run", "--rm", "--no-healthcheck", "--network", "none", "--read-only", "--user", "0",
                  "--entrypoint", "python", built_image["image"], "-c", SURVEY, timeout=180)
    return json.loads(done.stdout)


def test_the_final_stage_has_no_build_tool_package_cache_or_vcs(survey):
    assert {tool: path for tool, path in survey["tools"].items() if path} == {}
    assert survey["caches"] == []


def test_the_image_holds_the_code_its_templates_and_migrations_and_nothing_of_the_repository_else(survey):
    assert survey["app"] == ["alembic.ini", "idp", "migrations", "pyproject.toml", "templates"]
    assert survey["unwanted"] == []


def test_the_image_holds_no_private_key(survey):
    """keys/ (the development keys) is never copied; the signing keys live in the database,
    encrypted under KEY_ENCRYPTION_KEY, which the image does not hold either."""
    assert survey["private_keys"] == []


def test_the_image_runs_as_1001_with_no_secret_in_its_environment(built_image):
    config = json.loads(podman("image", "inspect", built_image["image"], "--format", "{{json .Config}}").stdout)
    assert config["User"] == "1001:1001"
    names = {item.split("=", 1)[0] for item in config["Env"]}
    assert not names & {"SESSION_SECRET", "KEY_ENCRYPTION_KEY", "DATABASE_URL", "REDIS_URL", "METRICS_TOKEN"}
    assert {"PROMETHEUS_MULTIPROC_DIR", "HOST", "PORT", "METRICS_PORT"} <= names
