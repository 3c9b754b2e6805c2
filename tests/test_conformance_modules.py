"""The conformance suite's Basic OP and Form Post OP modules that no other test covered (the map is
tests/CONFORMANCE.md). Every flow runs twice, with the default response mode and with form_post:
the Form Post OP plan is the Basic plan with response_mode=form_post."""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from urllib.parse import urlencode

import pytest
import requests
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt

from idp.plumbing.security import token_hash

from .conformance_client import (authorization_request, authorization_response, authorize, checked_id_token, redeem,
                                 sign_in_flow)
from .conftest import REDIRECT_URI, Browser, callback_params, hidden_fields
from .test_code_flow import discover
from .test_par_jar import jar_client, rp_key  # noqa: F401  (fixtures: an RP with a registered key)

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
    "oidcc-idtoken-signature": ({}, set()),  # RS256 and the kid: what every flow checks
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
    _, token, claims = sign_in_flow(idp, browser, client, user, response_mode,
                                    reverse=module == "oidcc-alternate-happy-flow", **params)
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


def test_missing_response_type_is_an_error_response_oidc_core_3_1_2_6(idp, browser, client, response_mode):
    """oidcc-response-type-missing: the suite accepts an invalid_request or unsupported_response_type
    error response, or an error page; ours (authlib's) is unsupported_response_type, delivered in
    the requested response mode with the state (RFC 6749 4.1.2.1), and never a code."""
    params = authorization_request(client, response_type=None, response_mode=response_mode)
    response = browser.go(discover(idp)["authorization_endpoint"] + "?" + urlencode(params))
    answer = authorization_response(response, response_mode)
    assert answer["error"] == "unsupported_response_type" and "code" not in answer
    assert answer["state"] == params["state"] and answer["iss"] == idp.url


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


def test_max_age_1_asks_for_a_new_login_and_returns_auth_time_oidc_core_3_1_2_1(idp, client, user, response_mode):
    """oidcc-max-age-1: after more than max_age seconds the OP MUST re-authenticate, and the ID token
    MUST carry auth_time (OIDC Core 2, 3.1.2.1). The suite waits one second; so does this test (the
    session's sign-in time is kept server-side, behind a signed cookie)."""
    assert_asks_again(idp, client, user, response_mode, max_age="1")


def test_prompt_login_asks_again_and_auth_time_is_later_oidc_core_3_1_2_1(idp, client, user, response_mode):
    """oidcc-prompt-login: the OP MUST prompt for reauthentication; the new auth_time is later."""
    assert_asks_again(idp, client, user, response_mode, prompt="login")


def assert_asks_again(idp, client, user, response_mode, **params):
    browser = Browser(idp)
    _, _, first = sign_in_flow(idp, browser, client, user, response_mode)
    time.sleep(1.1)  # auth_time has a one-second resolution
    page, request = start(browser, client, response_mode=response_mode, **params)
    assert 'name="password"' in page.text  # asked again
    answer = authorization_response(finish(browser, page, user), response_mode)
    claims = id_token_of(idp, client, answer, request)
    assert claims["sub"] == first["sub"] and claims["auth_time"] > first["auth_time"]


def test_prompt_none_without_a_session_is_login_required_oidc_core_3_1_2_6(idp, browser, client, response_mode):
    """oidcc-prompt-none-not-logged-in, in both response modes: the error goes back to the RP."""
    page, request = start(browser, client, prompt="none", response_mode=response_mode)
    answer = authorization_response(page, response_mode)
    assert answer["error"] == "login_required" and answer["state"] == request["state"] and "code" not in answer


def test_max_age_10000_does_not_ask_again_and_keeps_auth_time_oidc_core_3_1_2_1(idp, browser, client, user,
                                                                                response_mode):
    """oidcc-max-age-10000: a recent enough sign-in is reused; auth_time is present both times."""
    _, _, first = sign_in_flow(idp, browser, client, user, response_mode, max_age="15000")
    page, request = start(browser, client, max_age="10000", response_mode=response_mode)
    assert 'name="password"' not in page.text
    second = id_token_of(idp, client, authorization_response(page, response_mode), request)
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


# -- request objects (OIDC Core 6) ------------------------------------------------------------------
def request_object(idp, client, key, claims: dict) -> str:
    """A request object by value (OIDC Core 6.1): signed with the RP's key, or unsigned (alg none)
    as the suite sends it when no key is given."""
    body = {**claims, "iss": client.client_id, "aud": idp.url}
    if key is not None:
        return jwt.encode({"alg": "RS256", "kid": key.kid}, body, key)
    part = lambda data: base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{part({'alg': 'none'})}.{part(body)}."


def test_request_object_redirect_uri_wins_over_the_query_oidc_core_6_1(idp, browser, jar_client, rp_key, user):
    """oidcc-ensure-request-object-with-redirect-uri: the request object carries the registered
    redirect_uri, the query another one. OIDC Core 6.1 / RFC 9101 6.3: the object's parameters are
    the ones used, so the code goes to the object's redirect_uri (never to the query's)."""
    inner = authorization_request(jar_client)
    outer = {"client_id": jar_client.client_id, "response_type": "code", "scope": "openid",
             "redirect_uri": "https://attacker.example/cb", "request": request_object(idp, jar_client, rp_key, inner)}
    response = authorize(browser, user, outer)
    answer = callback_params(response)
    assert answer["state"] == inner["state"]
    claims = checked_id_token(idp, jar_client, redeem(idp, jar_client, answer["code"]).json()["id_token"],
                              inner["nonce"])
    assert claims["sub"] == user.id


def test_unsigned_request_object_is_refused_as_discovery_says_oidc_core_6_1(idp, browser, jar_client, user):
    """oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported: discovery's
    request_object_signing_alg_values_supported has no "none" (the suite then skips the module), and
    an unsigned object is indeed refused: no code, an error page (the redirect URI it names is not
    trusted, RFC 9101 6.3)."""
    assert "none" not in discover(idp)["request_object_signing_alg_values_supported"]
    inner = authorization_request(jar_client)
    outer = {"client_id": jar_client.client_id, "request": request_object(idp, jar_client, None, inner)}
    response = authorize(browser, user, outer)
    assert response.status_code == 400 and "Location" not in response.headers and "code=" not in response.text


def test_request_uri_of_the_rp_is_request_uri_not_supported_oidc_core_6_2(idp, browser, jar_client, user):
    """oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported: discovery says
    request_uri_parameter_supported false (only PAR's URNs, RFC 9126); an RP-hosted request_uri gets
    request_uri_not_supported (OIDC Core 3.1.2.6), never a fetch and never a code."""
    assert discover(idp)["request_uri_parameter_supported"] is False
    params = {"client_id": jar_client.client_id, "response_type": "code", "scope": "openid",
              "redirect_uri": REDIRECT_URI, "state": "ru", "request_uri": "https://127.0.0.1:9/request.jwt"}
    response = authorize(browser, user, params)
    if response.status_code == 302:
        answer = callback_params(response)
        assert answer["error"] == "request_uri_not_supported" and answer["state"] == "ru"
    else:
        assert response.status_code == 400 and "request_uri" in response.text and "code=" not in response.text
