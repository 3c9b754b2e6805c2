"""Deviations found when independent relying parties tried the server (issue 22), each pinned to
its clause: redirect_uri in OpenID requests, the device grant's ID token, unknown scope values,
repeated parameters."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import requests
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import KeySet

from .conftest import REDIRECT_URI, callback_params
from .test_code_flow import discover, run_code_flow
from .test_device import DEVICE_GRANT, enter_code, poll, start


def authorize_url(idp, client, **params) -> str:
    verifier = generate_token(48)
    query = {"response_type": "code", "client_id": client.client_id, "scope": "openid", "state": "s1",
             "code_challenge": create_s256_code_challenge(verifier), "code_challenge_method": "S256", **params}
    return idp.endpoint("/authorize?" + urlencode({k: v for k, v in query.items() if v is not None}))


def test_openid_request_without_redirect_uri_is_an_error_page_oidc_core_3_1_2_1(idp, browser, client, user):
    browser.login(browser.go(idp.endpoint("/login")), user.email)  # signed in: a code would be issued at once
    response = browser.go(authorize_url(idp, client, redirect_uri=None))
    assert response.status_code == 400
    assert "Location" not in response.headers and "code=" not in response.text
    assert "redirect_uri" in response.text and "text/html" in response.headers["Content-Type"]


def test_plain_oauth_request_may_omit_the_single_redirect_uri_rfc6749_3_1_2_3(idp, browser, client, user):
    response = browser.authorize(authorize_url(idp, client, redirect_uri=None, scope="profile"), user.email)
    assert response.headers["Location"].startswith(REDIRECT_URI + "?")
    assert "code" in callback_params(response)


def test_device_grant_returns_an_id_token_for_scope_openid_oidc_core_3_1_3_3(idp, browser, user):
    device, _ = idp.create_client(name="Console", public=True, redirect_uris=[], grant_types=[DEVICE_GRANT])
    grant = start(idp, device, scope="openid email")
    enter_code(browser, user, grant["user_code"])
    token = poll(idp, device, grant["device_code"])
    meta = discover(idp)
    keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=5).json())
    claims = jwt.decode(token["id_token"], keys, algorithms=["RS256"]).claims
    assert claims["iss"] == idp.url and claims["aud"] == [device.client_id] and claims["sub"] == user.id
    assert claims["email"] == user.email and claims["auth_time"] and "at_hash" in claims


def test_device_grant_without_openid_has_no_id_token(idp, browser, user):
    device, _ = idp.create_client(name="Console", public=True, redirect_uris=[], grant_types=[DEVICE_GRANT])
    grant = start(idp, device, scope="profile")
    enter_code(browser, user, grant["user_code"])
    assert "id_token" not in poll(idp, device, grant["device_code"])


def test_unknown_scope_values_of_an_openid_request_are_ignored_oidc_core_3_1_2_1(idp, browser, client, user):
    browser_page = browser.go(authorize_url(idp, client, redirect_uri=REDIRECT_URI,
                                            scope="openid address phone email acme:reports"))
    consent = browser.login(browser_page, user.email)
    assert consent.status_code == 200, consent.text[:300]
    for unknown in ("phone", "acme:reports"):  # ("address" is in the email scope's wording)
        assert unknown not in consent.text
    _, _, token, _, _ = run_code_flow(idp, browser, client, user, scope="openid address phone email")
    assert token["scope"].split() == ["openid", "email"]


def test_unknown_scope_in_a_plain_oauth_request_is_still_invalid_scope_rfc6749_3_3(idp, browser, client, user):
    response = browser.authorize(authorize_url(idp, client, redirect_uri=REDIRECT_URI, scope="profile phone"),
                                 user.email)
    assert callback_params(response)["error"] == "invalid_scope"


def test_device_authorization_ignores_unknown_openid_scope_values(idp):
    device, _ = idp.create_client(name="Console", public=True, redirect_uris=[], grant_types=[DEVICE_GRANT])
    assert start(idp, device, scope="openid phone")["device_code"]


@pytest.mark.parametrize("path,fields", [
    ("/token", [("grant_type", "client_credentials"), ("grant_type", "client_credentials")]),
    ("/token", [("grant_type", "client_credentials"), ("scope", "profile"), ("scope", "email")]),
    ("/introspect", [("token", "a"), ("token", "b")]),
    ("/revoke", [("token", "a"), ("token", "b")]),
    ("/par", [("response_type", "code"), ("scope", "openid"), ("scope", "openid"),
              ("redirect_uri", REDIRECT_URI)]),
    ("/device_authorization", [("scope", "openid"), ("scope", "profile")]),
])
def test_repeated_parameter_is_invalid_request_rfc6749_3_2(idp, path, fields):
    client, secret = idp.create_client(name="Repeater", grant_types=["client_credentials", "authorization_code",
                                                                      DEVICE_GRANT])
    response = requests.post(idp.endpoint(path), data=fields, auth=(client.client_id, secret), timeout=5)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
    assert "more than once" in response.json()["error_description"]
    assert response.headers["Cache-Control"] == "no-store"


def test_parameter_in_both_query_and_body_is_repeated_rfc6749_3_2(idp):
    client, secret = idp.create_client(name="Repeater", grant_types=["client_credentials"])
    response = requests.post(idp.endpoint("/token?grant_type=client_credentials"), timeout=5,
                             data={"grant_type": "client_credentials"}, auth=(client.client_id, secret))
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_repeated_parameter_with_non_ascii_name_is_invalid_request_rfc6749_3_2_and_5_2(idp):
    """A repeated parameter whose name error_description may not carry (RFC 6749 5.2) is still
    invalid_request, never a 500 (found by the schemathesis run of /openapi.json)."""
    body = "%C2%B6x=1&%C2%B6x=2&grant_type=client_credentials"
    response = requests.post(f"{idp.url}/token", data=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
