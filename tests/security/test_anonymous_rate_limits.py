"""Issue 30, part 3: /authorize and the page POSTs are rate-limited per client address (flask-limiter,
429 with Retry-After), on PostgreSQL + Redis and on the embedded default."""

from __future__ import annotations

import pytest
import requests

from ..conftest import Browser, hidden_fields, start_idp
from .test_anonymous_footprint import authorize_url

BUDGET = 2


@pytest.fixture(scope="module", params=["postgres", "embedded"])
def limited(request, tmp_path_factory, mailbox):
    live, stop = start_idp(request.param, tmp_path_factory, mailbox, database_suffix="_anon_limits",
                           rate_limit_max_requests=BUDGET, authorize_rate_limit=3, authorize_rate_window=60)
    yield live
    stop()


def test_authorize_requests_are_limited_per_address_issue30(limited):
    client, _ = limited.create_client(public=True)
    answers = [requests.get(authorize_url(limited, client.client_id), timeout=5, allow_redirects=False)
               for _ in range(4)]
    assert [a.status_code for a in answers] == [302, 302, 302, 429]
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
    assert "too_many_requests" in answers[-1].text and "Location" not in answers[-1].headers


def test_other_sign_in_starts_are_limited_per_address_issue30(limited):
    """The console's sign-in (parks its login state) and "Sign in with <provider>" (a session holding
    the flow): every request counts, whatever its answer (no provider is configured here: 404)."""
    console = [requests.get(limited.endpoint("/admin/login"), timeout=5, allow_redirects=False) for _ in range(4)]
    assert [a.status_code for a in console] == [302, 302, 302, 429]
    browser = Browser(limited)
    token = hidden_fields(browser.go(limited.endpoint("/login")).text)["csrf_token"]
    federated = [browser.go(limited.endpoint("/login/federated/google"), "POST", {"csrf_token": token})
                 for _ in range(4)]
    assert [a.status_code for a in federated] == [404, 404, 404, 429]


@pytest.mark.parametrize("path, fields", [
    ("/login", {"email": "nobody@example.com", "password": "wrong password"}),  # refusals count
    ("/login/mfa", {"code": "000000", "interaction": "stale"}),
    ("/consent", {"interaction": "stale", "allow": "1"}),
    ("/register", {"name": "Eve", "email": "not-an-email", "password": "x"}),  # every POST counts
    ("/forgot-password", {"email": "nobody@example.com"}),
    ("/reset-password", {"token": "not-a-token", "password": "a new password"}),
])
def test_page_posts_are_limited_per_address_issue30(limited, path, fields):
    browser = Browser(limited)
    token = hidden_fields(browser.go(limited.endpoint("/login")).text)["csrf_token"]
    answers = [browser.go(limited.endpoint(path), "POST", {**fields, "csrf_token": token}) for _ in range(BUDGET + 1)]
    assert answers[-1].status_code == 429, [a.status_code for a in answers]
    assert all(a.status_code != 429 for a in answers[:-1]) and answers[-1].headers["Retry-After"]
