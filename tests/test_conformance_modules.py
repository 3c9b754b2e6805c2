"""The conformance suite's Basic OP and Form Post OP modules that no other test covered (the map is
tests/CONFORMANCE.md). Every flow runs twice, with the default response mode and with form_post:
the Form Post OP plan is the Basic plan with response_mode=form_post."""

from __future__ import annotations

import dataclasses
import json
import time
from urllib.parse import urlencode

import pytest
import requests
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from idp.plumbing.security import token_hash

from .conformance_client import (authorization_request, authorization_response, checked_id_token, redeem,
                                 sign_in_flow)
from .conftest import Browser, callback_params, hidden_fields
from .test_code_flow import discover

RESPONSE_MODES = ["query", "form_post"]


@pytest.fixture(params=RESPONSE_MODES)
def response_mode(request):
    return request.param


def userinfo(idp, access_token: str) -> dict:
    response = requests.get(discover(idp)["userinfo_endpoint"], timeout=5,
                            headers={"Authorization": f"Bearer {access_token}"})
    assert response.status_code == 200, response.text
    return response.json()


# Each module: the authorization parameters it adds, and the claims userinfo must then carry.
HAPPY_FLOWS = {
    "oidcc-server": ({"scope": "openid profile email"}, {"name", "email"}),
    "oidcc-ensure-request-without-nonce-succeeds-for-code-flow": ({"nonce": None}, set()),
    "oidcc-scope-profile": ({"scope": "openid profile"}, {"name"}),
    "oidcc-scope-email": ({"scope": "openid email"}, {"email", "email_verified"}),
    "oidcc-scope-all": ({"scope": "openid address email phone profile"}, {"name", "email"}),
    "oidcc-alternate-happy-flow": ({"scope": "email profile openid"}, {"name", "email"}),
    "oidcc-display-page": ({"display": "page"}, set()),
    "oidcc-display-popup": ({"display": "popup"}, set()),
    "oidcc-ensure-request-with-unknown-parameter-succeeds": ({"extra": "foobar"}, set()),
    "oidcc-claims-locales": ({"claims_locales": "se"}, set()),
    "oidcc-claims-essential": ({"claims": json.dumps({"userinfo": {"name": {"essential": True}}})}, {"name"}),
}


@pytest.mark.parametrize("module", list(HAPPY_FLOWS))
def test_happy_flow_variant_succeeds_oidc_core_3_1_2_1_and_15_1(idp, browser, client, user, response_mode, module):
    """OIDC Core 15.1 (display, claims_locales: mandatory to accept), 3.1.2.1 (nonce is optional in
    the code flow; scope order does not matter, RFC 6749 3.3), 5.4 (scope claims in userinfo),
    5.5 (an essential claim we hold is returned), RFC 6749 3.1 (unknown parameters are ignored)."""
    params, expected_claims = HAPPY_FLOWS[module]
    if module == "oidcc-alternate-happy-flow":  # the query's parameters in another order too
        params = dict(reversed(list(authorization_request(client, **params).items())))
    _, token, claims = sign_in_flow(idp, browser, client, user, response_mode, **params)
    info = userinfo(idp, token["access_token"])
    assert info["sub"] == claims["sub"] == user.id
    assert expected_claims <= set(info), (module, info)
    if "nonce" in params and params["nonce"] is None:
        assert "nonce" not in claims


def test_client_secret_post_authenticates_the_token_request_oidc_core_9(idp, browser, user, response_mode):
    """oidcc-server-client-secret-post: a client registered for client_secret_post."""
    client, secret = idp.create_client(auth_method="client_secret_post")
    client = dataclasses.replace(client, client_metadata={"secret": secret})
    _, token, _ = sign_in_flow(idp, browser, client, user, response_mode, auth="client_secret_post")
    assert token["token_type"].lower() == "bearer"


def test_authorization_request_by_post_succeeds_oidc_core_3_1_2_1(idp, browser, client, user, response_mode):
    """oidcc-ensure-post-request-succeeds: "Authorization Servers MUST support the use of the HTTP
    GET and POST methods"."""
    sign_in_flow(idp, browser, client, user, response_mode, method="POST")


def test_valid_pkce_succeeds_rfc7636_4_and_rfc6749_3_1(idp, browser, client, user, response_mode):
    """oidcc-ensure-request-with-valid-pkce-succeeds."""
    verifier = generate_token(48)
    sign_in_flow(idp, browser, client, user, response_mode, verifier=verifier,
                 code_challenge=create_s256_code_challenge(verifier), code_challenge_method="S256")


def test_advertised_acr_values_succeed_and_acr_is_one_of_them_oidc_core_3_1_2_1(
        idp, browser, client, user, response_mode):
    """oidcc-ensure-request-with-acr-values-succeeds sends every acr_values_supported value:
    acr_values is a voluntary request (OIDC Core 3.1.2.1, 5.5.1.1), so the authorization succeeds
    and the acr claim is one of the values asked for (here the password one: no second factor)."""
    supported = discover(idp)["acr_values_supported"]
    _, _, claims = sign_in_flow(idp, browser, client, user, response_mode, acr_values=" ".join(supported))
    assert claims["acr"] in supported


def test_missing_response_type_is_invalid_request_oidc_core_3_1_2_6(idp, browser, client, response_mode):
    """oidcc-response-type-missing: an error redirect (invalid_request or unsupported_response_type)
    or an error page; never a code."""
    params = authorization_request(client, response_type=None, response_mode=response_mode)
    response = browser.go(discover(idp)["authorization_endpoint"] + "?" + urlencode(params))
    if response.status_code == 400:
        assert "Location" not in response.headers and "text/html" in response.headers["Content-Type"]
        return
    answer = authorization_response(response, response_mode)
    assert answer["error"] in ("invalid_request", "unsupported_response_type") and "code" not in answer
    assert answer["state"] == params["state"]


def test_userinfo_by_get_post_header_and_post_body_oidc_core_5_3_1_rfc6750_2(idp, browser, client, user):
    """oidcc-userinfo-get, oidcc-userinfo-post-header, oidcc-userinfo-post-body: the UserInfo
    Endpoint "MUST support the use of the HTTP GET and HTTP POST methods" (OIDC Core 5.3) and the
    access token as a Bearer header (RFC 6750 2.1) or a form-encoded body parameter (2.2)."""
    _, token, claims = sign_in_flow(idp, browser, client, user, scope="openid profile email")
    endpoint, access = discover(idp)["userinfo_endpoint"], token["access_token"]
    answers = [requests.get(endpoint, headers={"Authorization": f"Bearer {access}"}, timeout=5),
               requests.post(endpoint, headers={"Authorization": f"Bearer {access}"}, timeout=5),
               requests.post(endpoint, data={"access_token": access}, timeout=5)]
    for answer in answers:
        assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/json")
        body = answer.json()
        assert body["sub"] == claims["sub"] and body["email"] == user.email and body["name"] == user.name


def start(browser, client, **params):
    """The authorization request sent by a fresh user agent: the page it gets, and the request."""
    request = authorization_request(client, **params)
    return browser.go(discover(browser.idp)["authorization_endpoint"] + "?" + urlencode(request)), request


def finish(browser, page, user):
    """Sign in on the page (and consent when asked): the redirect to the RP."""
    page = browser.login(page, user.email)
    return browser.consent(page) if "would like to" in page.text else page


def id_token_of(idp, client, answer, request) -> dict:
    token = redeem(idp, client, answer["code"])
    assert token.status_code == 200, token.text
    return checked_id_token(idp, client, token.json()["id_token"], request["nonce"])


def test_login_hint_fills_in_the_email_field_oidc_core_3_1_2_1(idp, client, user):
    """oidcc-login-hint: the hint is accepted and offered as the sign-in identifier."""
    browser = Browser(idp)
    page, _ = start(browser, client, login_hint=user.email)
    assert 'name="password"' in page.text and f'value="{user.email}"' in page.text
    assert "code" in callback_params(finish(browser, page, user))


@pytest.mark.parametrize("ui_locales,language", [("fr", "fr"), ("se fr-CA en", "fr"), ("se", "en"),
                                                 ("en fr", "en")])
def test_ui_locales_picks_the_page_language_oidc_core_3_1_2_1(idp, client, user, ui_locales, language):
    """oidcc-ui-locales: the first supported language of ui_locales (in order of preference) is the
    sign-in page's; an unsupported one is no error (the default language)."""
    browser = Browser(idp)
    page, _ = start(browser, client, ui_locales=ui_locales)
    assert page.status_code == 200 and 'name="password"' in page.text
    assert f'<html lang="{language}"' in page.text
    consent = browser.login(page, user.email)
    assert 'name="allow"' in consent.text and f'<html lang="{language}"' in consent.text  # consent too
    fields = {**hidden_fields(consent.text), "allow": "1"}
    assert "code" in callback_params(browser.go(idp.endpoint("/consent"), "POST", fields))


def test_prompt_none_when_signed_in_returns_the_same_subject_oidc_core_3_1_2_1(idp, browser, client, user,
                                                                              response_mode):
    """oidcc-prompt-none-logged-in: no interaction, and sub and auth_time match the first ID token."""
    _, _, first = sign_in_flow(idp, browser, client, user, response_mode)
    _, _, second = sign_in_flow(idp, browser, client, user, response_mode, prompt="none")
    assert (second["sub"], second["auth_time"]) == (first["sub"], first["auth_time"])


def test_prompt_none_with_id_token_hint_returns_that_subject_oidc_core_3_1_2_1(idp, browser, client, user,
                                                                              response_mode):
    """oidcc-id-token-hint: prompt=none with the first ID token as id_token_hint succeeds silently."""
    _, token, first = sign_in_flow(idp, browser, client, user, response_mode)
    _, _, second = sign_in_flow(idp, browser, client, user, response_mode, prompt="none",
                                id_token_hint=token["id_token"])
    assert (second["sub"], second["auth_time"]) == (first["sub"], first["auth_time"])


def test_max_age_1_asks_for_a_new_login_and_returns_auth_time_oidc_core_3_1_2_1(idp, client, user):
    """oidcc-max-age-1: after more than max_age seconds the OP MUST re-authenticate, and the ID token
    MUST carry auth_time (OIDC Core 2, 3.1.2.1). The suite waits one second; so does this test (the
    session's sign-in time is kept server-side, behind a signed cookie)."""
    browser = Browser(idp)
    _, _, first = sign_in_flow(idp, browser, client, user)
    time.sleep(1.1)
    page, request = start(browser, client, max_age="1")
    assert 'name="password"' in page.text  # asked again
    claims = id_token_of(idp, client, callback_params(finish(browser, page, user)), request)
    assert claims["auth_time"] > first["auth_time"]


def test_max_age_10000_does_not_ask_again_and_keeps_auth_time_oidc_core_3_1_2_1(idp, browser, client, user,
                                                                                response_mode):
    """oidcc-max-age-10000: a recent enough sign-in is reused; auth_time is present both times."""
    _, _, first = sign_in_flow(idp, browser, client, user, response_mode, max_age="15000")
    page, request = start(browser, client, max_age="10000")
    assert 'name="password"' not in page.text
    second = id_token_of(idp, client, callback_params(page), request)
    assert (second["sub"], second["auth_time"]) == (first["sub"], first["auth_time"])


def test_code_reused_30_seconds_later_fails_and_revokes_tokens_rfc6749_4_1_2(idp, browser, client, user):
    """oidcc-codereuse-30seconds: RFC 6749 4.1.2 "the authorization server MUST deny the request and
    SHOULD revoke ... all tokens previously issued based on that authorization code". Rather than
    wait 30 s, the test ages the code's redemption record by 30 s (what is stored about a code after
    its redemption is that record alone: the code itself is gone)."""
    answer, token, _ = sign_in_flow(idp, browser, client, user, scope="openid offline_access")
    tokens, store = idp.services.tokens, idp.services.store
    _, used_key = tokens._code_keys(token_hash(answer["code"]))
    assert store.get(used_key) is not None
    store.set(used_key, store.get(used_key), max(idp.services.config.access_token_ttl,
                                                 idp.services.config.code_ttl) - 30)
    again = redeem(idp, client, answer["code"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    auth = (client.client_id, client.client_metadata["secret"])
    assert requests.post(idp.endpoint("/introspect"), data={"token": token["access_token"]}, auth=auth,
                         timeout=5).json() == {"active": False}
    assert requests.get(discover(idp)["userinfo_endpoint"], timeout=5,
                        headers={"Authorization": f"Bearer {token['access_token']}"}).status_code == 401


def test_registered_redirect_uri_is_required_in_form_post_too_rfc6749_4_1_2_1(idp, browser, client):
    """oidcc-ensure-registered-redirect-uri with response_mode=form_post: an error page, no form."""
    page, _ = start(browser, client, redirect_uri="https://attacker.example/cb", response_mode="form_post")
    assert page.status_code == 400 and "Location" not in page.headers
    assert 'action="https://attacker.example' not in page.text and 'name="code"' not in page.text
