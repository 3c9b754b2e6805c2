"""Brute-force protection: the account lock (MAX_LOGIN_ATTEMPTS in ACCOUNT_LOCK_TIME_MS, counted
in Redis so replicas agree) and flask-limiter's per-IP and per-account limits (429, Retry-After)."""

from __future__ import annotations

import time

import pytest
import requests

from .conftest import LOCK_TIME_MS, PASSWORD, Browser, start_idp, start_replica
from .flows import sign_in, submit


def fail(browser, email, times):
    return [sign_in(browser, email, "not the right password") for _ in range(times)]


def test_five_failures_lock_the_account_then_it_unlocks_owasp_asvs_2_2_1(idp, mailbox):
    user = idp.create_user()
    browser = Browser(idp)
    statuses = [r.status_code for r in fail(browser, user.email, 5)]
    assert statuses == [401, 401, 401, 401, 429]

    locked = sign_in(browser, user.email, PASSWORD)  # even the right password waits
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["Retry-After"]) <= LOCK_TIME_MS // 1000
    assert "Too many failed attempts" in locked.text
    assert mailbox.wait_for(user.email, "paused")

    time.sleep(LOCK_TIME_MS / 1000 + 0.2)
    assert "signed in as" in sign_in(browser, user.email, PASSWORD).text


def test_an_unknown_email_locks_exactly_like_a_real_one(idp):
    user = idp.create_user()
    real = [r.status_code for r in fail(Browser(idp), user.email, 6)]
    ghost = [r.status_code for r in fail(Browser(idp), "nobody-here@example.com", 6)]
    assert real == ghost == [401, 401, 401, 401, 429, 429]


def test_a_success_resets_the_failure_count(idp):
    user = idp.create_user()
    browser = Browser(idp)
    fail(browser, user.email, 4)
    sign_in(browser, user.email, PASSWORD)
    assert [r.status_code for r in fail(Browser(idp), user.email, 4)] == [401] * 4


def test_password_login_costs_exactly_one_password_hash(idp, monkeypatch):
    """OWASP: argon2id is slow on purpose; a login must not pay for it twice (nor a locked one at all)."""
    from idp.plumbing import security

    calls = []

    class CountingHasher:
        def __init__(self, real):
            self.real = real

        def verify(self, *args):
            calls.append("verify")
            return self.real.verify(*args)

        def hash(self, *args):
            calls.append("hash")
            return self.real.hash(*args)

        def check_needs_rehash(self, *args):
            return self.real.check_needs_rehash(*args)

    monkeypatch.setattr(security, "_hasher", CountingHasher(security._hasher))
    user = idp.create_user()
    calls.clear()
    browser = Browser(idp)
    assert "signed in as" in sign_in(browser, user.email).text
    assert calls == ["verify"]
    calls.clear()
    sign_in(Browser(idp), "unknown-person@example.com", "whatever it is")
    assert calls == ["verify"]


def test_argon2id_uses_the_owasp_parameters():
    from idp.plumbing.security import hash_password

    assert hash_password("x" * 12).startswith("$argon2id$v=19$m=19456,t=2,p=1$")


@pytest.fixture(scope="module")
def replicas(tmp_path_factory, mailbox):
    """Two app instances on one PostgreSQL database and one Redis prefix, with a small request budget."""
    first, stop_first = start_idp("postgres", tmp_path_factory, mailbox, rate_limit_max_requests=4,
                                  rate_limit_window_ms=60_000)
    second, stop_second = start_replica(first)
    yield first, second
    stop_second()
    stop_first()


def test_failures_on_two_replicas_add_up_to_one_lock(tmp_path_factory, mailbox):
    first, stop_first = start_idp("postgres", tmp_path_factory, mailbox)
    second, stop_second = start_replica(first)
    try:
        check_shared_lock(first, second)
    finally:
        stop_second()
        stop_first()


def check_shared_lock(first, second):
    user = first.create_user()
    assert [r.status_code for r in fail(Browser(first), user.email, 2)] == [401, 401]
    assert [r.status_code for r in fail(Browser(second), user.email, 2)] == [401, 401]
    assert sign_in(Browser(first), user.email, "wrong again").status_code == 429
    assert sign_in(Browser(second), user.email, PASSWORD).status_code == 429


def test_rate_limit_answers_429_with_retry_after_on_every_replica(replicas):
    first, second = replicas
    answers = []
    for target in (first, second, first, second, first, second):
        answers.append(submit(Browser(target), "/forgot-password", email=f"x{len(answers)}@example.com"))
    assert [r.status_code for r in answers] == [200, 200, 200, 200, 429, 429]
    for refused in answers[4:]:
        assert 0 < int(refused.headers["Retry-After"]) <= 60
        assert "Too many attempts" in refused.text


def test_token_endpoint_is_rate_limited_with_a_json_429(replicas):
    first, second = replicas
    client, secret = first.create_client()
    answers = [requests.post(target.endpoint("/token"), auth=(client.client_id, secret), timeout=5,
                             data={"grant_type": "authorization_code", "code": "nope"})
               for target in (first, second, first, second, second)]
    assert [r.status_code for r in answers] == [400, 400, 400, 400, 429]
    assert answers[-1].json()["error"] == "too_many_requests" and answers[-1].headers["Retry-After"]


def test_per_account_limit_applies_across_client_addresses(replicas):
    """The same email from four 'clients' spends one per-account budget (keyed by the email, not the IP)."""
    first, _ = replicas
    from idp.plumbing.ratelimit import account_key

    with first.app.test_request_context("/login", method="POST", data={"email": " Someone@Example.com "}):
        one = account_key()
    with first.app.test_request_context("/login", method="POST", data={"email": "someone@example.com"}):
        assert account_key() == one
    with first.app.test_request_context("/login", method="POST", data={"email": "other@example.com"}):
        assert account_key() != one


def test_embedded_default_limits_in_process_memory(tmp_path_factory):
    live, stop = start_idp("embedded", tmp_path_factory, rate_limit_max_requests=2)
    try:
        codes = [submit(Browser(live), "/forgot-password", email="a@example.com").status_code for _ in range(3)]
        assert codes == [200, 200, 429]
    finally:
        stop()


def test_only_refused_token_requests_spend_the_budget(tmp_path_factory):
    """A busy relying party is not throttled; a client-secret guesser is."""
    live, stop = start_idp("embedded", tmp_path_factory, rate_limit_max_requests=2)
    try:
        client, secret = live.create_client(grant_types=["client_credentials"], redirect_uris=[])

        def token(password):
            return requests.post(live.endpoint("/token"), auth=(client.client_id, password), timeout=5,
                                 data={"grant_type": "client_credentials"}).status_code

        assert [token(secret) for _ in range(5)] == [200] * 5
        assert [token("guess") for _ in range(3)] == [401, 401, 429]
    finally:
        stop()


def test_token_failure_budget_counts_in_process_while_its_storage_is_unreachable():
    """Issue 9: limiting degrades to this process, the token endpoint keeps answering."""
    import socket

    from limits.storage import RedisStorage

    from idp.plumbing.ratelimit import FailureBudget

    with socket.socket() as probe:  # a port nothing listens on: a real refused connection
        probe.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{probe.getsockname()[1]}"
    budget = FailureBudget(RedisStorage(dead, socket_timeout=0.2, socket_connect_timeout=0.2), 2, 60, "test")
    assert budget.retry_after("ip:198.51.100.7") is None
    budget.spend("ip:198.51.100.7")
    assert budget.retry_after("ip:198.51.100.7") is None
    budget.spend("ip:198.51.100.7")
    assert 1 <= budget.retry_after("ip:198.51.100.7") <= 60
    assert budget.retry_after("ip:198.51.100.8") is None  # another address is not touched
