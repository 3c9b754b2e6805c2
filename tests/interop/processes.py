"""Relying parties not written here, as real processes next to the live IdP: panva's openid-client
(Node) and Debian's mod_auth_openidc (Apache). Each is started on a free 127.0.0.1 port, its
output joins the run's log (scanned for leaked secrets), and it is stopped by its own pid."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess

import pytest
import requests

from ..conftest import append_to_run_log, free_port
from ..harness import wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(HERE, "node")


class Process:
    """A foreground server process whose output is kept for the run log."""

    def __init__(self, argv: list[str], env: dict, log_path: str, ready_url: str):
        self.argv, self.env, self.log_path, self.ready_url = argv, env, log_path, ready_url
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20) -> Process:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=log, start_new_session=True)
        if wait_until(lambda: self.proc.poll() is None and requests.get(self.ready_url, timeout=1).status_code < 500,
                      timeout) is None:
            self.stop()
            raise RuntimeError(f"{self.argv[0]} did not start: {self.output()[-3000:]}")
        return self

    def output(self) -> str:
        with open(self.log_path, errors="replace") as handle:
            return handle.read()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc:
            append_to_run_log(self.output())


def require_node() -> str:
    node = shutil.which("node")
    if not node:
        pytest.skip("node is not installed (the python-svc machine ships Node 20)")
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "openid-client")):
        pytest.skip("tests/interop/node/node_modules is missing: run `npm ci` there (.ci/run does)")
    return node


class OpenIdClientRP:
    """tests/interop/node/rp.mjs: a web app on openid-client. Its URLs are known before it starts,
    so the client can be registered with them first."""

    def __init__(self, tmp_path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.redirect_uri = self.url + "/callback"
        self.signed_out_uri = self.url + "/signed-out"
        self.log_path = str(tmp_path / "openid-client.log")
        self.process: Process | None = None

    @contextlib.contextmanager
    def running(self, issuer: str, client_id: str, **settings):
        """settings: client_secret, private_jwk, dpop, par (see rp.mjs)."""
        config = dict(settings, issuer=issuer, port=self.port, client_id=client_id)
        env = dict(os.environ, RP_CONFIG=json.dumps(config), NODE_NO_WARNINGS="1")
        self.process = Process([require_node(), os.path.join(NODE_DIR, "rp.mjs")], env, self.log_path,
                               self.url + "/api/device").start()
        try:
            yield self
        finally:
            self.process.stop()

    def call(self, method: str, path: str) -> dict:
        response = requests.request(method, self.url + path, timeout=15)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()

    def refused(self, method: str, path: str) -> dict:
        """What the library answered when it refused (the RP's 502 carries the error)."""
        response = requests.request(method, self.url + path, timeout=15)
        assert response.status_code == 502, (path, response.status_code, response.text)
        return response.json()
