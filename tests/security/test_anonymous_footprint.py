"""Issue 30, part 3: an anonymous visitor costs the stores a bounded, small amount.

- a page with a form (login, sign-up, reset) stores nothing server-side: its CSRF secret rides in a
  signed cookie, and a POST without it, with another browser's token or with a forged cookie is refused;
- /authorize keeps only the parameters the protocol defines (OIDC Core 3.1.2.1: others are ignored)
  and refuses more than a waiting request may hold (invalid_request, by redirect: RFC 6749 4.1.2.1);
- the PAR endpoint stores the same parameters under the same cap (RFC 9126 2).
Counted in Redis (the run's key prefix) and in the embedded default's in-process store."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from idp.oauth.endpoints.par import pushed_key
from idp.oauth.requests import MAX_STORED_REQUEST_BYTES

from ..conftest import PASSWORD, REDIRECT_URI, Browser, callback_params, hidden_fields
from ..passkey_flows import pk_idp  # noqa: F401  (a fixture: the IdP on http://localhost, passkeys on)
from ..test_par_jar import authorization_params, push
from .footprint import footprint, grown

JUNK = {f"x_junk_{i}": "j" * 2000 for i in range(30)}  # 30 undefined parameters of 2 KB: 60 KB


def authorize_url(idp, client_id: str, **extra) -> str:
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI, "scope": "openid",
              "state": "s-123", "nonce": "n-456", "code_challenge": "E9Melhoe2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
              "code_challenge_method": "S256", **extra}
    return idp.endpoint("/authorize") + "?" + urlencode(params)


def test_anonymous_form_pages_store_nothing_server_side_issue30(idp):
    before = footprint(idp)
    for _ in range(50):
        for path in ("/login", "/register", "/forgot-password"):
            response = requests.get(idp.endpoint(path), timeout=5)  # a new visitor each time: no cookies
            assert response.status_code == 200 and "csrf_token" in response.text
            assert "idp_session" not in response.cookies and "idp_csrf" in response.cookies
    assert grown(before, footprint(idp)) == {}


def test_a_login_page_offering_a_passkey_stores_nothing_until_a_response_comes_issue30(pk_idp):
    """With passkeys on, every login page carries a sign-in ceremony: signed into the page, not stored
    (a replayed response is still refused: tests/test_passkeys.py)."""
    before = footprint(pk_idp)
    for _ in range(50):
        page = requests.get(pk_idp.endpoint("/login"), timeout=5)
        assert page.status_code == 200 and "passkey-sign-in" in page.text
    assert grown(before, footprint(pk_idp)) == {}


def test_login_with_the_cookie_bound_csrf_token_still_works_end_to_end(idp, browser, user, public_client):
    before = footprint(idp)
    params = callback_params(browser.authorize(authorize_url(idp, public_client.client_id), user.email))
    assert params["code"] and params["state"] == "s-123"
    assert any(key.startswith("sess:") for key in grown(before, footprint(idp)))  # now there is a session to keep


def test_csrf_token_with_a_forged_cookie_is_refused(idp, user):
    """The form token matches the cookie's secret, but the cookie's signature is not the server's."""
    attacker = requests.Session()
    token = hidden_fields(attacker.get(idp.endpoint("/login"), timeout=5).text)["csrf_token"]
    secret = attacker.cookies["idp_csrf"].rsplit(".", 1)[0]
    victim = requests.Session()
    victim.cookies.set("idp_csrf", secret + ".forged-signature")
    response = victim.post(idp.endpoint("/login"), timeout=5, allow_redirects=False,
                           data={"csrf_token": token, "email": user.email, "password": PASSWORD})
    assert response.status_code == 400 and "idp_session" not in response.cookies
    same = victim.post(idp.endpoint("/login"), timeout=5, allow_redirects=False,  # the genuine pair passes
                       data={"csrf_token": token, "email": user.email, "password": PASSWORD},
                       cookies={"idp_csrf": attacker.cookies["idp_csrf"]})
    assert same.status_code == 302 and "idp_session" in same.cookies


def test_forms_posted_without_the_csrf_cookie_are_refused(idp, user):
    for path, fields in (("/login", {"email": user.email, "password": PASSWORD}),
                         ("/forgot-password", {"email": user.email}),
                         ("/register", {"name": "Eve", "email": "eve@example.com", "password": PASSWORD * 2})):
        page = requests.get(idp.endpoint(path), timeout=5)
        token = hidden_fields(page.text)["csrf_token"]
        response = requests.post(idp.endpoint(path), data={**fields, "csrf_token": token}, timeout=5,
                                 allow_redirects=False)
        assert response.status_code == 400, path


def test_authorize_ignores_undefined_parameters_oidc_core_3_1_2_1(idp, user, public_client):
    before = footprint(idp)
    browser = Browser(idp)
    page = browser.go(authorize_url(idp, public_client.client_id, **JUNK))
    assert 'name="password"' in page.text
    added = grown(before, footprint(idp))
    interactions = [key for key in added if key.startswith("interaction:")]
    assert len(interactions) == 1 and added[interactions[0]] < 1024, added
    # besides: at most the client's cached API access (one per client, not per visitor) and the
    # address's /authorize rate-limit bucket (one per address, a few bytes, its window's life)
    assert not [key for key in added if not key.startswith(("interaction:", "authz:client:", "ratelimit:"))], added
    stored = json.loads(idp.services.store.get(interactions[0]))["params"]
    assert not any(name.startswith("x_junk") for name in stored) and stored["state"] == "s-123"
    params = callback_params(browser.authorize(page.final_url, user.email))  # the request still completes
    assert params["code"] and params["state"] == "s-123"


def test_authorize_refuses_more_than_a_waiting_request_may_hold_by_redirect_rfc6749_4_1_2_1(idp, public_client):
    long = {name: "v" * 2000 for name in ("nonce", "login_hint", "ui_locales", "claims_locales", "acr_values")}
    claims = json.dumps({"userinfo": {f"claim_{i:04d}": None for i in range(400)}})  # about 8 KB, well-formed
    before = footprint(idp)
    response = Browser(idp).go(authorize_url(idp, public_client.client_id, state="s" * 2000, claims=claims, **long))
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    answer = parse_qs(urlsplit(location).query)
    assert answer["error"] == ["invalid_request"] and answer["state"] == ["s" * 2000]
    assert not [key for key in grown(before, footprint(idp)) if key.startswith("interaction:")]
    under = Browser(idp).go(authorize_url(idp, public_client.client_id, state="s" * 2000, **long))  # no claims: fits
    assert under.status_code == 200 and 'name="password"' in under.text


def test_pushed_request_keeps_only_defined_parameters_under_the_cap_rfc9126_2(idp, client):
    _, _, params, _, _ = authorization_params(idp, client)
    response = push(idp, client, {**params, **JUNK})
    assert response.status_code == 201, response.text
    stored = json.loads(idp.services.store.get(pushed_key(response.json()["request_uri"], client.client_id)))
    assert not any(name.startswith("x_junk") for name in stored)
    assert "client_secret" not in stored and len(json.dumps(stored)) < 2048

    long = {name: "v" * 3000 for name in ("state", "nonce", "login_hint", "ui_locales", "claims_locales", "acr_values")}
    assert len(json.dumps({**params, **long})) > MAX_STORED_REQUEST_BYTES
    too_long = push(idp, client, {**params, **long})
    assert too_long.status_code == 400 and too_long.json()["error"] == "invalid_request", too_long.text
    shorter = {name: value[:2000] for name, value in long.items()}  # the same parameters, under the cap
    assert push(idp, client, {**params, **shorter}).status_code == 201
