"""The benchmark's reference server: node `oidc-provider` (bench/reference/server.js), one Node
process pinned to the IdP's core, configured with the IdP's clients and user (issue 20).

run.py measures it beside the IdP in every run and reports each figure as IdP / reference.
`npm ci` installs the pinned version (bench/reference/package-lock.json) when it is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

from baseline import stop_process_group
from wrkutil import BENCH_DIR, free_port, wait_http

REFERENCE_DIR = os.path.join(BENCH_DIR, "reference")
NPM_CI_TIMEOUT = 300


def installed_version() -> str | None:
    try:
        with open(os.path.join(REFERENCE_DIR, "node_modules", "oidc-provider", "package.json")) as handle:
            return json.load(handle)["version"]
    except (OSError, ValueError, KeyError):
        return None


def pinned_version() -> str:
    with open(os.path.join(REFERENCE_DIR, "package.json")) as handle:
        return json.load(handle)["dependencies"]["oidc-provider"]


def ensure_installed(log=print) -> str:
    """`npm ci` in bench/reference when oidc-provider is missing or not the pinned version; its version."""
    if not shutil.which("node") or not shutil.which("npm"):
        raise RuntimeError("the reference needs node and npm on PATH")
    if installed_version() != pinned_version():
        log(f"installing the reference (npm ci in {os.path.relpath(REFERENCE_DIR)}) ...")
        proc = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=REFERENCE_DIR,
                              capture_output=True, text=True, timeout=NPM_CI_TIMEOUT, start_new_session=True)
        if proc.returncode != 0:
            raise RuntimeError(f"npm ci failed: {proc.stderr.strip()[-2000:]}")
    version = installed_version()
    if version != pinned_version():
        raise RuntimeError(f"oidc-provider {version} installed, {pinned_version()} pinned")
    return version


class ReferenceServer:
    """oidc-provider with the IdP's two clients (same ids and secrets) and its user."""

    def __init__(self, clients: dict, email: str, password: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.opaque_resource = self.url + "/opaque-api"  # server.js's OPAQUE_RESOURCE
        self.settings = {"port": self.port, "user": {"email": email, "password": password},
                         **{name: {key: clients[name][key] for key in ("client_id", "client_secret")}
                            for name in ("cc", "rp")}}
        self.proc: subprocess.Popen | None = None
        self.log = None

    def start(self, core: int, log_path: str) -> None:
        os.makedirs(os.path.dirname(log_path), exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        env.update(NODE_ENV="production", BENCH_REFERENCE=json.dumps(self.settings))
        self.log = open(log_path, "w")
        # taskset execs node: the child's pid is the Node process, whose RSS and CPU are measured
        self.proc = subprocess.Popen(["taskset", "-c", str(core), "node", os.path.join(REFERENCE_DIR, "server.js")],
                                     env=env, cwd=REFERENCE_DIR, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        wait_http(self.url + "/.well-known/openid-configuration", self.proc, timeout=30)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> list[str]:
        """Stop the Node process (SIGTERM, then SIGKILL); what could not be done."""
        problems = []
        if self.proc is not None:
            try:
                stop_process_group(self.proc)
            except Exception as exc:
                problems.append(f"could not stop the reference server: {exc}")
        if self.log:
            self.log.close()
            self.log = None
        return problems
