"""Prometheus metrics of the live servers: names the alert rules use, counts, and who may read them.

(Several gunicorn workers: tests/test_servers.py.)
"""

from __future__ import annotations

import dataclasses

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from idp.app import create_app
from idp.services import build_services

from .conftest import hidden_fields


def sample(text: str, name: str, **labels) -> float:
    """The value of one series in a scrape (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


def test_metrics_refuse_anonymous_and_wrong_tokens(idp):
    anonymous = requests.get(idp.endpoint("/metrics"), timeout=5)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert "http_requests_total" not in anonymous.text
    wrong = requests.get(idp.endpoint("/metrics"), headers={"Authorization": "Bearer not-the-token"}, timeout=5)
    assert wrong.status_code == 401


def test_metrics_are_not_served_on_the_main_port_without_a_token(idp):
    config = dataclasses.replace(idp.services.config, metrics_token="")
    app = create_app(services=dataclasses.replace(idp.services, config=config))
    assert app.test_client().get("/metrics").status_code == 404


def test_http_requests_are_counted_by_method_status_and_route(idp):
    before = idp.scrape()
    for _ in range(3):
        assert requests.get(idp.endpoint("/jwks.json"), timeout=5).status_code == 200
    requests.get(idp.endpoint("/no-such-page"), timeout=5)
    after = idp.scrape()
    labels = {"method": "GET", "status": "200", "endpoint": "/jwks.json"}
    assert sample(after, "http_requests_total", **labels) - sample(before, "http_requests_total", **labels) == 3
    unmatched = {"method": "GET", "status": "404", "endpoint": "unmatched"}
    assert sample(after, "http_requests_total", **unmatched) > sample(before, "http_requests_total", **unmatched)
    count = {"method": "GET", "endpoint": "/jwks.json"}
    assert sample(after, "http_request_duration_seconds_count", **count) - sample(
        before, "http_request_duration_seconds_count", **count) == 3
    assert sample(after, "http_request_duration_seconds_bucket", le="+Inf", **count) >= 3


def test_failed_logins_and_tokens_by_grant_type_are_counted(idp, browser, user):
    client, secret = idp.create_client(grant_types=["client_credentials"], scope="profile")
    before = idp.scrape()
    page = browser.go(idp.endpoint("/login"))
    browser.login(page, user.email, password="wrong password")
    token = requests.post(idp.endpoint("/token"), auth=(client.client_id, secret), timeout=5,
                          data={"grant_type": "client_credentials"})
    assert token.status_code == 200
    after = idp.scrape()
    assert sample(after, "login_attempts_failed_total") - sample(before, "login_attempts_failed_total") == 1
    grant = {"grant_type": "client_credentials"}
    assert sample(after, "tokens_issued_total", **grant) - sample(before, "tokens_issued_total", **grant) == 1


def test_active_sessions_count_signed_in_sessions_only(idp, browser, user):
    before = sample(idp.scrape(), "active_sessions_total")
    page = browser.go(idp.endpoint("/login"))  # a login page visit has a session (CSRF), not a sign-in
    assert sample(idp.scrape(), "active_sessions_total") == before
    browser.login(page, user.email)
    assert sample(idp.scrape(), "active_sessions_total") == before + 1
    logout = browser.go(idp.endpoint("/logout"))
    browser.go(idp.endpoint("/logout"), "POST", hidden_fields(logout.text))
    assert sample(idp.scrape(), "active_sessions_total") == before


def test_database_and_redis_failures_are_counted_and_ready_names_them(idp):
    """Real failures: connections refused on a closed port, not mocks."""
    if idp.backend != "postgres":
        pytest.skip("the embedded default has no network dependency to lose")
    broken = build_services(dataclasses.replace(idp.services.config, redis_url="redis://127.0.0.1:1/0",
                                                database_url="postgresql://postgres@127.0.0.1:1/none"))
    app = create_app(services=dataclasses.replace(broken, keys=idp.services.keys))  # keys already in memory
    client = app.test_client()
    before = idp.scrape()
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert set(ready.get_json()["checks"]) == {"database", "redis"}
    assert client.get("/jwks.json").status_code == 200  # in memory: no dependency on the hot path
    page = client.post("/token", data={"grant_type": "client_credentials"},
                       headers={"Authorization": "Basic eDp5"})
    assert page.status_code == 503 and page.get_json()["error"] == "temporarily_unavailable"
    after = idp.scrape()
    assert sample(after, "database_connections_failed_total") - sample(before, "database_connections_failed_total") >= 2
    assert sample(after, "redis_connections_failed_total") - sample(before, "redis_connections_failed_total") >= 1
