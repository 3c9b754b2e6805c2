"""`idp selftest` (issue 22 item 4): it passes against a production-mode deployment, fails naming
the check against one with a deliberately broken setting, and leaves nothing behind."""

from __future__ import annotations

import json
import subprocess

import pytest

from idp.selftest import selftest
from idp.selftest.report import Report

from .harness import IDP, Gunicorn, RedisServer, free_port
from .test_resilience import Deployment


def run_cli(env: dict, issuer: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(IDP + ["selftest", "--issuer", issuer, *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_selftest_passes_against_the_live_server_and_removes_its_client_and_user(idp):
    if idp.backend != "postgres":
        pytest.skip("one backend is enough: the checks are HTTP")
    users_before = {u.id for u in idp.services.users.list()}
    clients_before = {c.client_id for c in idp.services.clients.page(10_000)}
    with idp.app.app_context():
        report = selftest(idp.url, idp.services)
    print(report.as_text())
    assert report.ok, report.as_text()
    names = {c.name for c in report.checks}
    assert {"discovery issuer", "ID token", "code reuse refused", "refresh reuse detection", "revocation",
            "wrong PKCE verifier", "unregistered redirect URI", "malformed requests", "security headers",
            "cookie flags"} <= names
    assert {u.id for u in idp.services.users.list()} == users_before
    assert {c.client_id for c in idp.services.clients.page(10_000)} == clients_before


@pytest.fixture
def production(tmp_path):
    """A production-mode deployment (idp serve, PostgreSQL, Redis) and a copy of it whose ISSUER is wrong."""
    redis_server = RedisServer(free_port()).start()
    port, broken_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    deployment = Deployment(redis_server.url, url)
    server = Gunicorn(deployment.env, port, workers=1, log_path=str(tmp_path / "idp.log")).start(timeout=60)
    broken_env = dict(deployment.env, ISSUER=f"http://127.0.0.1:{port}/wrong")
    broken = Gunicorn(broken_env, broken_port, workers=1, log_path=str(tmp_path / "broken.log")).start(timeout=60)
    yield deployment, url, f"http://127.0.0.1:{broken_port}"
    server.stop()
    broken.stop()
    deployment.close()
    redis_server.stop()


def test_selftest_cli_passes_on_production_and_names_the_broken_issuer(production):
    """OIDC Discovery 4.3: the issuer in the document must be the URL the deployment is reached at."""
    deployment, url, broken_url = production
    good = run_cli(deployment.env, url)
    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.splitlines()[-1].endswith(" passed, 0 failed")
    bad = run_cli(deployment.env, broken_url, "--json")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    report = json.loads(bad.stdout)
    failed = [c for c in report["checks"] if not c["ok"]]
    assert report["ok"] is False and failed[0]["name"] == "discovery issuer"
    assert failed[0]["clause"] == "OIDC Discovery 4.3" and "/wrong" in failed[0]["detail"]


def test_a_report_without_checks_is_not_a_pass():
    assert Report("https://id.example.com").ok is False


def test_a_nul_byte_in_client_id_or_email_is_an_error_page_not_a_500(idp, browser):
    """Found by the selftest's malformed requests: PostgreSQL refuses NUL in text (RFC 6749 4.1.2.1:
    an invalid client_id gets an error page, never a redirect, never a 500)."""
    page = browser.go(idp.endpoint("/authorize?response_type=code&client_id=%00&redirect_uri=x"))
    assert page.status_code == 400
    login = browser.http.post(idp.endpoint("/login"), data={"email": "a\x00@example.com", "password": "x"}, timeout=10)
    assert login.status_code < 500
