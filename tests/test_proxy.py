"""Behind a TLS-terminating proxy: X-Forwarded-For/-Proto count only from TRUSTED_PROXIES
(127.0.0.1 for the live servers, set in tests/conftest.py: no proxy is trusted by default); a
client that reaches the app directly, here from 127.0.0.2, cannot pick the address that audit
events and rate limits key on.

(The same through gunicorn, with the scheme: tests/test_servers.py.)
"""

from __future__ import annotations

import uuid

import pytest
import requests
from requests.adapters import HTTPAdapter

from .conftest import Browser

FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}


class SourceAddressAdapter(HTTPAdapter):
    def __init__(self, source: str):
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def failed_login_from(idp, user, source: str) -> dict:
    """A wrong password from `source`, with forwarded headers; returns its audit event."""
    browser = Browser(idp)
    browser.http.mount("http://", SourceAddressAdapter(source))
    request_id = uuid.uuid4().hex
    browser.http.headers.update({**FORWARDED, "X-Request-ID": request_id})
    browser.login(browser.go(idp.endpoint("/login")), user.email, password="not the password")
    events = [e for e in idp.services.audit_events.list(user_id=user.id, action="login.failed")
              if e.request_id == request_id]
    assert len(events) == 1
    return events[0]


def test_client_address_comes_from_x_forwarded_for_of_a_trusted_proxy(idp, user):
    assert failed_login_from(idp, user, "127.0.0.1").ip == "203.0.113.7"


def test_x_forwarded_for_from_an_untrusted_address_is_ignored(idp, user):
    assert failed_login_from(idp, user, "127.0.0.2").ip == "127.0.0.2"


@pytest.mark.parametrize("source", ["127.0.0.1", "127.0.0.2"])
def test_discovery_is_the_configured_issuer_whatever_the_forwarded_headers_oidc_discovery_4_3(idp, source):
    session = requests.Session()
    session.mount("http://", SourceAddressAdapter(source))
    meta = session.get(idp.endpoint("/.well-known/openid-configuration"), timeout=5,
                       headers={**FORWARDED, "X-Forwarded-Host": "evil.example"}).json()
    assert meta["issuer"] == idp.url and meta["token_endpoint"] == idp.url + "/token"
