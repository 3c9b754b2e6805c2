"""Lazy migration (issue 32): a sign-in for an email this IdP does not know asks the replaced
service (LEGACY_LOGIN_URL), here a small local HTTP server standing in for its /auth/login."""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from idp.migration import schemes

from ..conftest import PASSWORD, Browser, remember_secret, start_idp
from ..flows import sign_in

SECRET = secrets.token_urlsafe(24)


class LegacyService:
    """POST /auth/login {"email","password"} -> 200 profile | 401; `down` makes it answer 503."""

    def __init__(self):
        self.users, self.calls, self.down = {}, [], False
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                service.calls.append((self.headers.get("Authorization"), body["email"]))
                if service.down:
                    return self.answer(503, {"error": "maintenance"})
                if self.headers.get("Authorization") != f"Bearer {SECRET}":
                    return self.answer(403, {"error": "forbidden"})
                known = service.users.get(body["email"])
                if known is None or known[0] != body["password"]:
                    return self.answer(401, {"message": "Unauthorized"})
                return self.answer(200, known[1])

            def answer(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/auth/login"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, password=PASSWORD) -> dict:
        profile = {"id": str(uuid.uuid4()), "email": f"nest-{uuid.uuid4().hex[:8]}@example.com",
                   "email_verified": True, "name": "Legacy User", "role": "user"}
        self.users[profile["email"]] = (password, profile)
        return profile


@pytest.fixture(scope="module", params=["postgres", "embedded"])
def legacy_idp(request, tmp_path_factory):
    legacy = LegacyService()
    remember_secret(SECRET)
    live, stop = start_idp(request.param, tmp_path_factory, legacy_login_url=legacy.url, legacy_login_secret=SECRET)
    yield live, legacy
    stop()
    legacy.server.shutdown()


def test_first_sign_in_moves_the_user_in_and_the_second_does_not_ask_again(legacy_idp):
    idp, legacy = legacy_idp
    profile = legacy.add()
    response = sign_in(Browser(idp), profile["email"])
    assert response.url == idp.endpoint("/account"), response.text[:300]
    user = idp.services.users.by_email(profile["email"])
    assert user.id == profile["id"] and user.name == "Legacy User" and user.email_verified
    assert schemes.scheme_of(user.password_hash) == "argon2id"
    assert legacy.calls[-1] == (f"Bearer {SECRET}", profile["email"])
    calls = len(legacy.calls)
    legacy.down = True  # the legacy service is never needed again for this user
    try:
        assert sign_in(Browser(idp), profile["email"]).url == idp.endpoint("/account")
    finally:
        legacy.down = False
    assert len(legacy.calls) == calls
    assert [e.action for e in idp.services.audit_events.list(user_id=user.id, action="user.moved_in")]


def test_a_wrong_password_is_any_wrong_password_and_creates_nothing(legacy_idp):
    idp, legacy = legacy_idp
    profile = legacy.add()
    response = sign_in(Browser(idp), profile["email"], "not the password at all")
    assert response.status_code == 401 and "Incorrect email or password." in response.text
    assert idp.services.users.by_email(profile["email"]) is None


def test_an_outage_is_temporary_creates_nothing_and_locks_nothing(legacy_idp):
    idp, legacy = legacy_idp
    profile = legacy.add()
    legacy.down = True
    try:
        for _ in range(idp.services.config.max_login_attempts + 1):
            response = sign_in(Browser(idp), profile["email"])
            assert response.status_code == 503 and "temporarily unavailable" in response.text
    finally:
        legacy.down = False
    assert idp.services.users.by_email(profile["email"]) is None
    assert sign_in(Browser(idp), profile["email"]).url == idp.endpoint("/account")  # not locked


def test_the_connector_refuses_plain_http_outside_loopback():
    from idp.config import Config, ConfigError

    with pytest.raises(ConfigError, match="LEGACY_LOGIN_URL"):
        Config(legacy_login_url="http://legacy.example.com/auth/login", legacy_login_secret=SECRET).validate()
    with pytest.raises(ConfigError, match="LEGACY_LOGIN_SECRET"):
        Config(legacy_login_url="https://legacy.example.com/auth/login").validate()
