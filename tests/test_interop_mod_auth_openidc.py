"""Interoperability (issue 22): Debian's mod_auth_openidc, an OpenID Certified relying party written
elsewhere, in front of an application in Apache, and the same module as resource server validating
bearer access tokens by the IdP's JWKS and by its introspection endpoint. Chromium drives the IdP's
hosted pages; the IdP runs on PostgreSQL + Redis."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
import requests

from .harness import wait_until
from .interop import browsing
from .interop.browsing import page  # noqa: F401 (a fixture)
from .interop.processes import ModAuthOpenidc

pytestmark = pytest.mark.parametrize("idp", ["postgres"], indirect=True)  # the production backend


@pytest.fixture
def apache(request, idp, tmp_path):
    """The module as RP (client_secret_basic at the token endpoint, and any directives a test asks
    for as its parameter) and as RS."""
    module = ModAuthOpenidc(tmp_path)
    metadata = {"post_logout_redirect_uris": [module.signed_out_uri],
                "backchannel_logout_uri": module.redirect_uri + "?logout=backchannel",
                "backchannel_logout_session_required": True}
    rp, rp_secret = idp.create_client(name="mod_auth_openidc RP", redirect_uris=[module.redirect_uri],
                                      metadata=metadata)
    rs, rs_secret = idp.create_client(name="mod_auth_openidc RS", redirect_uris=[], grant_types=["client_credentials"])
    module.rp_client, module.rs_client = (rp.client_id, rp_secret), (rs.client_id, rs_secret)
    with module.running(idp.url, module.rp_client, module.rs_client, getattr(request, "param", None)):
        yield module


def signed_in(apache, page, user) -> tuple[dict, list[str]]:
    """What the protected application saw after a person signed in, and the URLs the browser asked for."""
    went_to = browsing.sign_in_and_allow(page, apache.url + "/protected/whoami", user, apache.url + "/protected/whoami")
    return json.loads(page.locator("body").inner_text()), went_to


def session_info(page, apache, **params) -> dict:
    """mod_auth_openidc's session info hook (OIDCInfoHook), with the browser's session cookie."""
    query = "&".join(f"{k}={v}" for k, v in {"info": "json", **params}.items())
    response = page.request.get(apache.redirect_uri + "?" + query)
    assert response.status == 200, (response.status, response.text()[:500], apache.errors())
    return response.json()


def test_code_flow_with_pkce_userinfo_refresh_and_rp_initiated_logout_oidc_core_3_1(idp, apache, page, user):
    """OIDC Core 3.1 with RFC 7636 S256 (the module validates the ID token), OIDC Core 5.3 (claims
    from userinfo), RFC 6749 6 (the module refreshes), RP-Initiated Logout 1.0 section 2."""
    seen, went_to = signed_in(apache, page, user)
    assert seen["remote_user"] == user.id, (seen, apache.errors())
    assert seen["claims"]["OIDC_CLAIM_email"] == user.email  # OIDC Core 5.4: scope email
    authorize = browsing.authorization_request(went_to, idp)
    assert authorize["code_challenge_method"] == "S256" and authorize["code_challenge"]

    info = session_info(page, apache)
    assert info["id_token"]["sub"] == user.id and info["id_token"]["iss"] == idp.url
    assert info["userinfo"]["sub"] == user.id
    before = info["access_token"]
    refreshed = session_info(page, apache, access_token_refresh_interval="0")
    assert refreshed["access_token"] != before, apache.errors()
    assert introspect(idp, apache, refreshed["access_token"])["active"] is True

    page.goto(apache.redirect_uri + "?logout=" + quote(apache.signed_out_uri, safe=""))
    page.wait_for_url(apache.signed_out_uri + "*")
    assert page.title() == "Signed out"
    page.goto(apache.url + "/protected/whoami")
    assert page.url.startswith(idp.endpoint("/login")), page.url  # neither the module nor the IdP has a session


@pytest.mark.parametrize("apache", [{"OIDCResponseMode": "form_post"}], indirect=True)
def test_form_post_response_mode_oauth_form_post_response_mode_2(idp, apache, page, user):
    """OAuth 2.0 Form Post Response Mode section 2: the IdP's page posts code and state to the
    module's redirect URI, which completes the code flow."""
    seen, went_to = signed_in(apache, page, user)
    assert seen["remote_user"] == user.id, (seen, apache.errors())
    assert browsing.authorization_request(went_to, idp)["response_mode"] == "form_post"


@pytest.mark.parametrize("apache", [{"OIDCProviderAuthRequestMethod": "POST"}], indirect=True)
def test_authorization_request_sent_by_post_oidc_core_3_1_2_1(idp, apache, page, user):
    """OIDC Core 3.1.2.1: the authorization endpoint MUST support POST; the module sends the
    request as an auto-submitted form."""
    posted = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" and r.url == idp.endpoint("/authorize")
            else None)
    seen, _ = signed_in(apache, page, user)
    assert seen["remote_user"] == user.id, (seen, apache.errors())
    assert posted == [idp.endpoint("/authorize")]


def test_back_channel_logout_ends_the_modules_session_backchannel_2_5(idp, apache, page, user):
    """OIDC Back-Channel Logout 1.0: signing out at the IdP sends a logout token to the module's
    backchannel URI, which validates it (section 2.6) and ends its own session for that sid."""
    seen, _ = signed_in(apache, page, user)
    assert seen["remote_user"] == user.id
    meta = requests.get(idp.endpoint("/.well-known/openid-configuration"), timeout=5).json()
    page.goto(meta["end_session_endpoint"] + "?client_id=" + apache.rp_client[0])
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    assert wait_until(lambda: page.request.get(apache.redirect_uri + "?info=json").status != 200, 10) is not None, \
        apache.errors()
    response = page.request.get(apache.url + "/protected/whoami", max_redirects=0)
    assert response.status == 302 and response.headers["location"].startswith(idp.endpoint("/authorize"))


def introspect(idp, apache, token: str) -> dict:
    return requests.post(idp.endpoint("/introspect"), data={"token": token}, auth=apache.rs_client, timeout=5).json()


def bearer(url: str, token: str) -> requests.Response:
    return requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_resource_servers_validate_access_tokens_by_jwks_and_by_introspection_rfc6750_rfc7662(
        idp, apache, page, user):
    """RFC 6750 2.1 bearer tokens at two resource servers: one verifies the JWT with the IdP's JWKS
    (RFC 9068 4), one asks the introspection endpoint (RFC 7662 2). A revoked token (RFC 7009) is
    refused by the introspecting one; a forged token by both (RFC 6750 3.1 invalid_token)."""
    signed_in(apache, page, user)
    token = session_info(page, apache)["access_token"]
    for url in (apache.jwks_rs, apache.introspection_rs):
        response = bearer(url, token)
        assert response.status_code == 200, (url, response.status_code, response.text[:300], apache.errors())
        assert response.json()["remote_user"] == user.id

    fresh = session_info(page, apache, access_token_refresh_interval="0")["access_token"]
    assert requests.post(idp.endpoint("/revoke"), data={"token": fresh, "token_type_hint": "access_token"},
                         auth=apache.rp_client, timeout=5).status_code == 200  # only the token's client may
    assert bearer(apache.introspection_rs, fresh).status_code == 401

    header, payload, signature = token.split(".")
    forged = ".".join([header, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")])
    for url in (apache.jwks_rs, apache.introspection_rs):
        response = bearer(url, forged)
        assert response.status_code == 401, (url, response.status_code)
        assert 'error="invalid_token"' in response.headers.get("WWW-Authenticate", "")
