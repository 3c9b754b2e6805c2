"""Device Authorization Grant (RFC 8628) end to end: the device asks (plain HTTP, as devices do),
a person enters the code on the hosted page, the device polls with authlib's client."""

from __future__ import annotations

import dataclasses
import re

import pytest
import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from .conftest import Browser, hidden_fields, start_idp
from .test_code_flow import discover

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture
def device_client(idp):
    client, _ = idp.create_client(name="Smart TV", public=True, redirect_uris=[],
                                  grant_types=[DEVICE_GRANT, "refresh_token"])
    return client


def start(idp, client, scope="openid profile offline_access"):
    response = requests.post(discover(idp)["device_authorization_endpoint"], timeout=5,
                             data={"client_id": client.client_id, "scope": scope})
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    return response.json()


def poll(idp, client, device_code):
    session = OAuth2Session(client.client_id, token_endpoint_auth_method="none")
    return session.fetch_token(discover(idp)["token_endpoint"], grant_type=DEVICE_GRANT, device_code=device_code)


def poll_error(idp, client, device_code) -> str:
    with pytest.raises(OAuthError) as caught:
        poll(idp, client, device_code)
    return caught.value.error


def enter_code(browser: Browser, user, user_code: str, allow=True, typed=None):
    """Sign in through the device page, type the code, allow or deny."""
    page = browser.go(browser.idp.endpoint("/device"))
    if 'name="password"' in page.text:
        page = browser.login(page, user.email)
    fields = hidden_fields(page.text)
    fields["user_code"] = typed or user_code
    confirm = browser.go(browser.idp.endpoint("/device"), "POST", fields)
    assert confirm.status_code == 200, confirm.text[:500]
    assert user_code in confirm.text
    fields = hidden_fields(confirm.text)
    fields["allow" if allow else "deny"] = "1"
    return browser.go(browser.idp.endpoint("/device/confirm"), "POST", fields)


def test_discovery_advertises_the_device_flow_rfc8628_4(idp):
    meta = discover(idp)
    assert meta["device_authorization_endpoint"] == idp.url + "/device_authorization"
    assert DEVICE_GRANT in meta["grant_types_supported"]


def test_device_flow_end_to_end_rfc8628_3(idp, browser, device_client, user):
    grant = start(idp, device_client)
    assert re.fullmatch(r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}", grant["user_code"])
    assert grant["verification_uri"] == idp.url + "/device"
    assert grant["verification_uri_complete"] == f"{idp.url}/device?user_code={grant['user_code']}"
    assert grant["expires_in"] == idp.services.config.device_code_ttl and grant["interval"] == 5

    assert poll_error(idp, device_client, grant["device_code"]) == "authorization_pending"
    done = enter_code(browser, user, grant["user_code"], typed=grant["user_code"].lower().replace("-", " "))
    assert "Device connected" in done.text

    token = poll(idp, device_client, grant["device_code"])
    assert token["access_token"] and token["refresh_token"]
    info = requests.get(discover(idp)["userinfo_endpoint"], timeout=5,
                        headers={"Authorization": f"Bearer {token['access_token']}"}).json()
    assert info["sub"] == user.id

    # RFC 8628 3.5 / 6749 5.2: a device code is redeemed once.
    assert poll_error(idp, device_client, grant["device_code"]) == "invalid_grant"


def test_polling_too_fast_is_slow_down_rfc8628_3_5(idp, device_client):
    grant = start(idp, device_client)
    assert poll_error(idp, device_client, grant["device_code"]) == "authorization_pending"
    assert poll_error(idp, device_client, grant["device_code"]) == "slow_down"


def test_denied_is_access_denied_rfc8628_3_5(idp, browser, device_client, user):
    grant = start(idp, device_client)
    assert "Access denied" in enter_code(browser, user, grant["user_code"], allow=False).text
    assert poll_error(idp, device_client, grant["device_code"]) == "access_denied"


def test_expired_device_code_is_expired_token_rfc8628_3_5(idp, browser, device_client, user):
    original = idp.services.config
    idp.services.config = dataclasses.replace(original, device_code_ttl=1)
    try:
        grant = start(idp, device_client)
    finally:
        idp.services.config = original
    import time

    time.sleep(1.2)
    assert poll_error(idp, device_client, grant["device_code"]) == "expired_token"
    page = browser.go(idp.endpoint("/device"))
    page = browser.login(page, user.email)
    fields = hidden_fields(page.text)
    fields["user_code"] = grant["user_code"]
    assert browser.go(idp.endpoint("/device"), "POST", fields).status_code == 400


def test_used_user_code_cannot_approve_twice(idp, browser, device_client, user):
    grant = start(idp, device_client)
    enter_code(browser, user, grant["user_code"])
    fields = hidden_fields(browser.go(idp.endpoint("/device")).text)
    fields["user_code"] = grant["user_code"]
    assert browser.go(idp.endpoint("/device"), "POST", fields).status_code == 400


def test_unknown_device_code_is_invalid_grant(idp, device_client):
    assert poll_error(idp, device_client, "nope") == "invalid_grant"


def test_another_clients_device_code_is_refused(idp, device_client):
    grant = start(idp, device_client)
    other, _ = idp.create_client(name="Other TV", public=True, redirect_uris=[], grant_types=[DEVICE_GRANT])
    assert poll_error(idp, other, grant["device_code"]) == "unauthorized_client"


def test_client_without_the_grant_is_unauthorized_client_rfc8628_3_1(idp, public_client):
    response = requests.post(idp.endpoint("/device_authorization"), data={"client_id": public_client.client_id},
                             timeout=5)
    assert response.status_code == 400 and response.json()["error"] == "unauthorized_client"


def test_unsupported_scope_is_invalid_scope(idp, device_client):
    response = requests.post(idp.endpoint("/device_authorization"), timeout=5,
                             data={"client_id": device_client.client_id, "scope": "admin"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"


def test_device_page_sends_to_login_keeping_the_code(idp, device_client, user):
    grant = start(idp, device_client)
    browser = Browser(idp)
    login = browser.go(grant["verification_uri_complete"])
    assert 'name="password"' in login.text
    page = browser.login(login, user.email)
    assert f'value="{grant["user_code"]}"' in page.text


def test_login_next_is_only_the_device_page(idp, user):
    browser = Browser(idp)
    page = browser.go(idp.endpoint("/login?next=https://attacker.example/"))
    response = browser.login(page, user.email)
    assert "attacker" not in response.headers.get("Location", "") and response.status_code == 200


@pytest.fixture(scope="module")
def strict_idp(tmp_path_factory):
    live, stop = start_idp("embedded", tmp_path_factory, device_code_attempts=3)
    yield live
    stop()


def test_wrong_codes_are_rate_limited_rfc8628_5_1(strict_idp):
    user = strict_idp.create_user()
    browser = Browser(strict_idp)
    page = browser.login(browser.go(strict_idp.endpoint("/device")), user.email)
    fields = hidden_fields(page.text)
    statuses = []
    for _ in range(4):
        fields["user_code"] = "BCDF-GHJK"
        statuses.append(browser.go(strict_idp.endpoint("/device"), "POST", fields).status_code)
    assert statuses == [400, 400, 400, 429]
