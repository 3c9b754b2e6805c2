"""Issue 30, part 10: no proxy is trusted unless configured. With the production default, a client
on loopback (a sidecar, a TCP load balancer or a tunnel that passes X-Forwarded-For through)
cannot choose its rate-limit bucket or the address in the audit trail by rotating the header; the
embedded default (development) keeps loopback; a configured proxy still counts."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest

from idp.config import Config

from ..conftest import Browser, start_idp
from ..flows import submit

PRODUCTION = {"IDP_ENV": "production", "ISSUER": "https://id.example.com", "DATABASE_URL": "postgresql://h/db",
              "REDIS_URL": "redis://h", "SESSION_SECRET": secrets.token_urlsafe(32),
              "KEY_ENCRYPTION_KEY": secrets.token_urlsafe(32)}


def test_production_trusts_no_proxy_unless_configured():
    assert Config.from_env(PRODUCTION).trusted_proxies == ()
    assert Config.from_env({**PRODUCTION, "TRUSTED_PROXIES": "10.0.0.0/8"}).trusted_proxies == ("10.0.0.0/8",)
    assert Config().trusted_proxies == ()  # built in code: nothing trusted either


def test_idp_serve_production_default_trusts_no_proxy():
    """`idp serve` passes production=True without IDP_ENV in the environment."""
    env = {k: v for k, v in PRODUCTION.items() if k != "IDP_ENV"}
    assert Config.from_env(env, production=True).trusted_proxies == ()


def test_the_embedded_default_keeps_loopback():
    assert Config.from_env({}).trusted_proxies == ("127.0.0.1/32", "::1/128")


def test_gunicorn_is_given_the_same_list():
    # In a process of its own: importing gunicorn's settings prepares the workers' metrics directory
    # (PROMETHEUS_MULTIPROC_DIR in os.environ), which would turn this test process's scrapes multiprocess.
    script = ("from idp.gunicorn_conf import forwarded_ips; "
              "print(repr(forwarded_ips(())), forwarded_ips(('127.0.0.1/32', '10.0.0.0/8', '::1/128')))")
    env = {k: v for k, v in os.environ.items() if k not in ("PROMETHEUS_MULTIPROC_DIR", "REDIS_URL", "DATABASE_URL")}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["''", "127.0.0.1,::1"], out.stderr


@pytest.mark.parametrize("backend", ["postgres", "embedded"])
def test_rotating_x_forwarded_for_from_loopback_keeps_one_rate_limit_bucket(backend, tmp_path_factory, mailbox):
    live, stop = start_idp(backend, tmp_path_factory, mailbox, database_suffix="_anon_proxy",
                           trusted_proxies=Config.from_env(PRODUCTION).trusted_proxies,
                           rate_limit_max_requests=2)
    try:
        user = live.create_user()
        answers = []
        for i in range(3):
            browser = Browser(live)
            browser.http.headers["X-Forwarded-For"] = f"203.0.113.{i + 1}"
            answers.append(submit(browser, "/forgot-password", email=user.email).status_code)
        assert answers == [200, 200, 429]
        live.services.accounts.deferred.wait(10)
        events = live.services.audit_events.list(user_id=user.id, action="password.reset_requested")
        assert events and {e.ip for e in events} == {"127.0.0.1"}
    finally:
        stop()
