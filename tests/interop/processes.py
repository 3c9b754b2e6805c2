"""Relying parties not written here, as real processes next to the live IdP: panva's openid-client
(Node) and Debian's mod_auth_openidc (Apache). Each is started on a free 127.0.0.1 port, its
output joins the run's log (scanned for leaked secrets), and it is stopped by its own pid."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess

import pytest
import requests

from ..conftest import append_to_run_log, free_port
from ..harness import wait_until
from ..test_mail import self_signed_certificate

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(HERE, "node")


class Process:
    """A foreground server process whose output is kept for the run log."""

    def __init__(self, argv: list[str], env: dict, log_path: str, ready_url: str, cwd: str | None = None):
        self.argv, self.env, self.log_path, self.ready_url, self.cwd = argv, env, log_path, ready_url, cwd
        self.proc: subprocess.Popen | None = None
        self.stopped = False
        self.ready_check = lambda: requests.get(self.ready_url, timeout=1)

    def start(self, timeout: float = 20) -> Process:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=log, stderr=log,
                                         start_new_session=True)
        if wait_until(lambda: self.proc.poll() is None and self.ready_check().status_code < 500,
                      timeout) is None:
            self.stop()
            raise RuntimeError(f"{self.argv[0]} did not start: {self.output()[-3000:]}")
        return self

    def output(self) -> str:
        with open(self.log_path, errors="replace") as handle:
            return handle.read()

    def stop(self) -> None:
        if self.proc is None or self.stopped:
            return
        self.stopped = True
        if self.proc.poll() is not None:
            with open(self.log_path, "a") as log:  # it ended before it was asked to: say how
                log.write(f"\n{self.argv[0]} exited by itself with {self.proc.returncode}\n")
        else:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
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


APACHE = "/usr/sbin/apache2"
APACHE_MODULES = "/usr/lib/apache2/modules"
APACHE_DIR = os.path.join(HERE, "apache")


def require_mod_auth_openidc() -> None:
    if not os.path.exists(APACHE):
        pytest.skip(f"{APACHE} is not installed (.ci/run installs apache2)")
    if not os.path.exists(os.path.join(APACHE_MODULES, "mod_auth_openidc.so")):
        pytest.skip("mod_auth_openidc is not installed (.ci/run installs libapache2-mod-auth-openidc)")


class ModAuthOpenidc:
    """Apache with mod_auth_openidc as one foreground process (`apache2 -X`) under a private
    ServerRoot: a relying party on one port, and resource servers validating bearer tokens by the
    IdP's JWKS and by its introspection endpoint on two others."""

    def __init__(self, tmp_path):
        require_mod_auth_openidc()
        self.root = tmp_path / "apache"
        (self.root / "htdocs").mkdir(parents=True)
        self.rp_port, self.jwks_port, self.introspection_port = free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.rp_port}"
        self.redirect_uri = self.url + "/protected/redirect_uri"
        self.signed_out_uri = self.url + "/signed-out.html"
        self.jwks_rs = f"http://127.0.0.1:{self.jwks_port}/api/whoami"
        self.introspection_rs = f"http://127.0.0.1:{self.introspection_port}/api/whoami"
        (self.root / "htdocs" / "signed-out.html").write_text("<!doctype html><title>Signed out</title>")
        self.process: Process | None = None

    def _apache(self, template: str, ready_url: str, **values) -> Process:
        with open(os.path.join(APACHE_DIR, template + ".conf.template")) as handle:
            conf = self.root / (template + ".conf")
            conf.write_text(handle.read().format(root=self.root, modules=APACHE_MODULES, **values))
        return Process([APACHE, "-X", "-f", str(conf)], dict(os.environ), str(self.root / (template + ".out")),
                       ready_url)

    @contextlib.contextmanager
    def running(self, idp_url: str, rp_client: tuple, rs_client: tuple, rp_options: dict | None = None):
        """rp_client and rs_client: (client_id, secret) as the IdP registered them; rp_options: more
        directives for the RP (e.g. OIDCResponseMode form_post).

        The RP authenticates with client_secret_basic: 2.4.12.3's private_key_jwt (OIDCPrivateKeyFiles)
        crashes in oidc_proto_token_endpoint_auth before it sends anything; openid-client covers it."""
        tls_port = free_port()
        cert, key = self_signed_certificate(self.root)  # for 127.0.0.1, its own CA: the module trusts it
        proxy = self._apache("tls-proxy", f"https://127.0.0.1:{tls_port}/health", tls_port=tls_port,
                             idp_port=idp_url.rsplit(":", 1)[1], cert=cert, key=key)
        module = self._apache(
            "httpd", self.signed_out_uri, cgi=os.path.join(APACHE_DIR, "whoami.cgi"), issuer=idp_url,
            tls_idp=f"https://127.0.0.1:{tls_port}", ca_bundle=cert,
            rp_port=self.rp_port, jwks_port=self.jwks_port, introspection_port=self.introspection_port,
            passphrase=secrets.token_urlsafe(32), rp_client_id=rp_client[0], rp_client_secret=rp_client[1],
            rs_client_id=rs_client[0], rs_client_secret=rs_client[1], 
            rp_options="\n".join(f"  {name} {value}" for name, value in (rp_options or {}).items()))
        proxy.ready_check = lambda: requests.get(proxy.ready_url, timeout=1, verify=str(cert))
        try:
            proxy.start()
            module.start()
            yield self
        finally:
            module.stop()
            proxy.stop()
            for log in self.root.glob("*error.log"):
                append_to_run_log(log.read_text(errors="replace"))

    def errors(self) -> str:
        """The end of the module's error log, for a failing assertion to show."""
        log = self.root / "error.log"
        return log.read_text(errors="replace")[-3000:] if log.exists() else ""

