"""The conformance suite's RP-Initiated Logout OP modules and Dynamic OP registration modules that
no other test covered (the map is tests/CONFORMANCE.md)."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

import pytest
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jwt
from joserfc.jwk import RSAKey

from .conformance_client import authorization_request, authorize, checked_id_token, sign_in_flow
from .conftest import REDIRECT_URI, callback_params, hidden_fields
from .rp_server import RelyingPartyServer
from .test_code_flow import discover
from .test_logout import logout_client, receiver  # noqa: F401  (fixtures)
from .test_logout import POST_LOGOUT, end_session_url, signed_in
from .test_registration import register


def prompt_none_error(idp, browser, client) -> str:
    """What the suite does after a logout: a silent authorization must now fail."""
    params = authorization_request(client, prompt="none")
    return callback_params(browser.go(discover(idp)["authorization_endpoint"] + "?" + urlencode(params)))["error"]


# -- RP-Initiated Logout 1.0 ---------------------------------------------------------------------
@pytest.mark.parametrize("state", ["st-1", None], ids=["with-state", "no-state"])
def test_logout_redirects_and_the_next_prompt_none_is_login_required_rpinitiated_2_and_3(
        idp, browser, logout_client, user, state):
    """oidcc-rp-initiated-logout and oidcc-rp-initiated-logout-no-state: back to the registered
    post_logout_redirect_uri with the state (only when one was sent), and the session is gone."""
    _, token, _ = sign_in_flow(idp, browser, logout_client, user)
    params = {"id_token_hint": token["id_token"], "post_logout_redirect_uri": POST_LOGOUT,
              **({"state": state} if state else {})}
    response = browser.go(end_session_url(idp, **params))
    assert response.status_code == 302
    assert response.headers["Location"] == POST_LOGOUT + (f"?state={state}" if state else "")
    assert prompt_none_error(idp, browser, logout_client) == "login_required"


def test_logout_with_only_the_hint_shows_the_signed_out_page_rpinitiated_3(idp, browser, logout_client, user):
    """oidcc-rp-initiated-logout-no-post-logout-redirect-uri: signed out, no redirect."""
    _, token, _ = sign_in_flow(idp, browser, logout_client, user)
    response = browser.go(end_session_url(idp, id_token_hint=token["id_token"]))
    assert response.status_code == 200 and "Location" not in response.headers
    assert "You are signed out" in response.text
    assert prompt_none_error(idp, browser, logout_client) == "login_required"


@pytest.mark.parametrize("params", [{}, {"state": "only-state"}], ids=["no-params", "only-state"])
def test_logout_without_a_hint_asks_then_signs_out_without_redirect_rpinitiated_2_and_6(
        idp, browser, logout_client, user, params):
    """oidcc-rp-initiated-logout-no-params and -only-state: the OP asks the user (the request could
    be forged, RP-Initiated Logout 6), then signs out and shows its own page (nowhere to go back to)."""
    sign_in_flow(idp, browser, logout_client, user)
    page = browser.go(end_session_url(idp, **params))
    assert page.status_code == 200 and "Sign out of" in page.text and signed_in(browser)
    done = browser.go(idp.endpoint("/logout"), "POST", hidden_fields(page.text))
    assert done.status_code == 200 and "You are signed out" in done.text  # the OP's page, no redirect
    assert not signed_in(browser)
    assert prompt_none_error(idp, browser, logout_client) == "login_required"


def _unsigned_copy(id_token: str) -> str:
    """The suite's modified hint: the same claims under {"alg": "none"}, no signature."""
    import base64
    import json

    _, payload, _ = id_token.split(".")
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}."


@pytest.mark.parametrize("forgery", ["alg-none", "foreign-key"])
def test_forged_id_token_hint_is_an_error_page_and_no_redirect_rpinitiated_2_and_4(
        idp, browser, logout_client, user, forgery):
    """oidcc-rp-initiated-logout-modified-id-token-hint (alg none) and -bad-id-token-hint (signed by
    the suite's own key): the OP "MUST NOT" act on a hint it did not issue; no redirect."""
    _, token, claims = sign_in_flow(idp, browser, logout_client, user)
    if forgery == "alg-none":
        hint = _unsigned_copy(token["id_token"])
    else:
        key = RSAKey.generate_key(2048, private=True, parameters={"kid": "suite"})
        hint = jwt.encode({"alg": "RS256", "kid": "suite"}, claims, key)
    response = browser.go(end_session_url(idp, id_token_hint=hint, post_logout_redirect_uri=POST_LOGOUT))
    assert response.status_code == 400 and "Location" not in response.headers
    assert signed_in(browser)  # nothing ended on a forged hint


# -- Dynamic Client Registration 1.0 and the redirect URI rules --------------------------------------
@pytest.fixture
def registration_token(idp):
    return idp.services.initial_access_tokens.create(600, uses=1)


def registered_client(idp, registration_token, **metadata):
    body = register(idp, {"client_name": "Suite RP", "redirect_uris": [REDIRECT_URI], "scope": "openid profile email",
                          "grant_types": ["authorization_code"], "response_types": ["code"], **metadata},
                    registration_token)
    assert body.status_code == 201, body.text
    client = idp.services.clients.get(body.json()["client_id"])
    return dataclasses.replace(client, client_metadata={**client.client_metadata,
                                                        "secret": body.json().get("client_secret")}), body.json()


def test_registered_private_key_jwt_client_with_jwks_uri_signs_in_oidc_registration_2(
        idp, browser, user, registration_token):
    """oidcc-server (dynamic), oidcc-registration-jwks-uri and oidcc-idtoken-rs256: a client
    registered with jwks_uri, private_key_jwt and id_token_signed_response_alg=RS256 completes the
    code flow, its assertion checked against the keys at its jwks_uri (OIDC Core 9)."""
    key = RSAKey.generate_key(2048, private=True, parameters={"kid": "rp-1"})
    keys = RelyingPartyServer()
    keys.documents["/jwks"] = {"keys": [key.as_dict(private=False)]}
    try:
        client, body = registered_client(idp, registration_token, jwks_uri=keys.url + "/jwks",
                                         token_endpoint_auth_method="private_key_jwt",
                                         id_token_signed_response_alg="RS256")
        assert body["id_token_signed_response_alg"] == "RS256" and "client_secret" not in body
        request = authorization_request(client)
        answer = callback_params(authorize(browser, user, request))
        from authlib.integrations.requests_client import OAuth2Session

        rp = OAuth2Session(client.client_id, key, token_endpoint_auth_method="private_key_jwt",
                           redirect_uri=REDIRECT_URI)
        rp.register_client_auth_method(PrivateKeyJWT(headers={"kid": "rp-1"}))
        token = rp.fetch_token(discover(idp)["token_endpoint"], code=answer["code"])
        checked_id_token(idp, client, token["id_token"], request["nonce"])
    finally:
        keys.close()


def test_signed_userinfo_is_refused_at_registration_oidc_registration_2(idp, registration_token):
    """oidcc-userinfo-rs256 needs userinfo_signed_response_alg, which this server does not offer:
    registration says so (OIDC Registration 3.3, invalid_client_metadata) instead of ignoring it."""
    response = register(idp, {"redirect_uris": [REDIRECT_URI], "userinfo_signed_response_alg": "RS256"},
                        registration_token)
    assert response.status_code == 400 and response.json()["error"] == "invalid_client_metadata"
    assert "userinfo_signing_alg_values_supported" not in discover(idp)


def test_unsigned_id_tokens_are_neither_offered_nor_registered_oidc_core_3_1_3_7(idp, registration_token):
    """oidcc-idtoken-unsigned is skipped by the suite when discovery lists no "none"; registering
    id_token_signed_response_alg=none is refused rather than silently signing."""
    assert "none" not in discover(idp)["id_token_signing_alg_values_supported"]
    response = register(idp, {"redirect_uris": [REDIRECT_URI], "id_token_signed_response_alg": "none"},
                        registration_token)
    assert response.status_code == 400 and response.json()["error"] == "invalid_client_metadata"


def test_two_registered_redirect_uris_and_none_sent_is_an_error_page_oidc_core_3_1_2_1(idp, browser, user):
    """oidcc-ensure-redirect-uri-in-authorization-request: redirect_uri is REQUIRED."""
    client, _ = idp.create_client(redirect_uris=[REDIRECT_URI, REDIRECT_URI + "/2"])
    page = browser.go(discover(idp)["authorization_endpoint"] + "?" + urlencode(
        authorization_request(client, redirect_uri=None)))
    assert page.status_code == 400 and "Location" not in page.headers and "redirect_uri" in page.text


@pytest.mark.parametrize("registered,sent,accepted", [
    (REDIRECT_URI + "?foo=bar", REDIRECT_URI + "?foo=bar", True),   # oidcc-redirect-uri-query-OK
    (REDIRECT_URI + "?foo=bar", REDIRECT_URI + "?foo=zoo", False),  # oidcc-redirect-uri-query-mismatch
    (REDIRECT_URI, REDIRECT_URI + "?foo=bar", False),              # oidcc-redirect-uri-query-added
], ids=["query-OK", "query-mismatch", "query-added"])
def test_redirect_uri_with_a_query_is_compared_exactly_oidc_core_3_1_2_1(idp, browser, user, registered, sent,
                                                                        accepted):
    """OIDC Core 3.1.2.1: the redirect_uri "MUST exactly match" a registered one (simple string
    comparison, 6.2.1 of RFC 3986); a registered query is kept and the response parameters added."""
    client, secret = idp.create_client(redirect_uris=[registered])
    params = authorization_request(client, redirect_uri=sent)
    response = authorize(browser, user, params)
    if not accepted:
        assert response.status_code == 400 and "Location" not in response.headers
        return
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?foo=bar&") and "code=" in location


@pytest.mark.parametrize("field", ["policy_uri", "tos_uri"])
def test_registered_policy_and_terms_links_are_shown_at_sign_in_oidc_registration_2(
        idp, browser, user, registration_token, field):
    """oidcc-registration-policy-uri and -tos-uri: "the OpenID Provider SHOULD display this URL to
    the End-User" (OIDC Registration 2) — on the sign-in page and again on the consent page."""
    url = f"https://rp.example/{field}?lang=en&x='y'"
    client, body = registered_client(idp, registration_token, **{field: url})
    assert body[field] == url
    page = browser.go(discover(idp)["authorization_endpoint"] + "?" + urlencode(authorization_request(client)))
    link = '<a href="' + url.replace("&", "&amp;").replace("'", "&#39;") + '" rel="noopener noreferrer"'
    assert 'name="password"' in page.text and link in page.text
    assert link in browser.login(page, user.email).text  # the consent page


@pytest.mark.parametrize("logo, shown", [("https://rp.example/logo.png", True),
                                         ("http://attacker.example/logo.png", False),
                                         ("https://rp.example/" + "x" * 3000, False)])
def test_registered_logo_is_shown_with_exactly_its_origin_allowed_oidc_registration_2(
        idp, browser, user, registration_token, logo, shown):
    """oidcc-registration-logo-uri: "the OpenID Provider SHOULD display this image to the End-User
    during approval" (OIDC Registration 2). Only an https logo is registered (an http one or one
    too long is invalid_client_metadata), and the page's CSP then allows images from exactly its
    origin; the consent page shows it too."""
    if not shown:
        refused = register(idp, {"client_name": "Suite RP", "redirect_uris": [REDIRECT_URI], "logo_uri": logo},
                           registration_token)
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_client_metadata"
        return
    client, body = registered_client(idp, registration_token, logo_uri=logo)
    page = browser.go(discover(idp)["authorization_endpoint"] + "?" + urlencode(authorization_request(client)))
    assert 'name="password"' in page.text
    csp = page.headers["Content-Security-Policy"]
    img_src = next(part for part in csp.split("; ") if part.startswith("img-src"))
    assert f'<img class="client-logo" src="{logo}" alt="{client.name}"' in page.text
    assert img_src == "img-src 'self' data: https://rp.example"
    consent = browser.login(page, user.email)
    assert f'src="{logo}"' in consent.text and "https://rp.example" in consent.headers["Content-Security-Policy"]
