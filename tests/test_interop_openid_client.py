"""Interoperability (issue 22): panva's openid-client, an OpenID Certified relying party written
elsewhere, drives the live IdP (PostgreSQL + Redis) through its hosted pages in Chromium.

tests/interop/node/rp.mjs is the RP; each test registers a client for it, starts it and reads what
the library accepted. A flow that the library refuses fails here with the library's reason.
"""

from __future__ import annotations

import json

import pytest
from joserfc.jwk import RSAKey

from .conftest import start_idp
from .harness import wait_until
from .interop import browsing
from .interop.browsing import page  # noqa: F401 (a fixture)
from .interop.processes import OpenIdClientRP
from .test_device import DEVICE_GRANT

ON_POSTGRES = pytest.mark.parametrize("idp", ["postgres"], indirect=True)  # the production backend


@pytest.fixture
def rp(tmp_path):
    return OpenIdClientRP(tmp_path)


def web_client(idp, rp, **kwargs):
    return idp.create_client(name="openid-client RP", redirect_uris=[rp.redirect_uri],
                             metadata={"post_logout_redirect_uris": [rp.signed_out_uri], **kwargs.pop("metadata", {})},
                             **kwargs)


def signed_in(rp, page, user) -> tuple[dict, list[str]]:
    """The RP's session after a person signed in and allowed it, and every URL the browser asked for."""
    went_to = browsing.sign_in_and_allow(page, rp.url + "/login", user, rp.redirect_uri)
    assert page.title() == "Signed in", page.content()[:2000]
    return rp.call("GET", "/api/session"), went_to


@ON_POSTGRES
@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_jwt"])  # RFC 6749 2.3.1, RFC 7523 2.2
def test_code_flow_with_pkce_userinfo_refresh_and_logout_oidc_core_3_1_rfc7636(idp, rp, page, user, auth_method):
    """OIDC Core 3.1 (code flow, ID token validated by the library), RFC 7636 (S256), OIDC Core 5.3
    (userinfo sub equals the ID token's), RFC 6749 6 (refresh), RFC 7662 (introspection),
    RP-Initiated Logout 1.0 section 2 (redirect back with state), RFC 7009 (revocation)."""
    client, secret = web_client(idp, rp, auth_method=auth_method)
    with rp.running(idp.url, client.client_id, client_secret=secret, secret_jwt=auth_method == "client_secret_jwt"):
        session, _ = signed_in(rp, page, user)
        assert session["claims"]["sub"] == user.id and session["claims"]["iss"] == idp.url
        assert session["token_type"].lower() == "bearer" and session["has_refresh_token"]
        info = rp.call("POST", "/api/userinfo")
        assert info["sub"] == user.id and info["email"] == user.email
        refreshed = rp.call("POST", "/api/refresh")
        assert refreshed["access_token"] != session["access_token"]
        assert rp.call("POST", "/api/introspect")["active"] is True
        assert rp.call("POST", "/api/revoke") == {"revoked": True}
        assert "invalid_grant" in json.dumps(rp.refused("POST", "/api/refresh"))  # RFC 7009 2.1: revoked
        page.goto(rp.url + "/logout")
        page.wait_for_url(rp.signed_out_uri + "*")
        assert json.loads(page.locator("#result").inner_text()) == {"state": "bye"}
        page.goto(idp.endpoint("/"))
        assert user.email not in page.content()


@pytest.fixture(scope="module")
def strict_idp(tmp_path_factory, mailbox):
    """An IdP that requires PAR of every client (RFC 9126 5) and its own nonce in every DPoP proof
    (RFC 9449 8, 9), on PostgreSQL + Redis."""
    live, stop = start_idp("postgres", tmp_path_factory, mailbox, database_suffix="_strict", require_par=True, dpop_require_nonce=True)
    yield live
    stop()


@ON_POSTGRES
def test_par_dpop_and_private_key_jwt_together_rfc9126_rfc9449_rfc7523(idp, rp, page, user):
    """RFC 9126 (the authorization request pushed first), RFC 9449 (tokens bound to the RP's key,
    userinfo and refresh with proofs, introspection reports DPoP) and RFC 7523 2.2 (the RP
    authenticates with a signed assertion)."""
    par_dpop_private_key_jwt(idp, rp, page, user)


def test_par_and_dpop_where_the_idp_requires_par_and_dpop_nonces_rfc9126_5_rfc9449_8(strict_idp, rp, page):
    """The same against an IdP that requires PAR and its own DPoP nonces: the library learns the
    nonce from use_dpop_nonce + DPoP-Nonce at PAR, token and userinfo and retries (RFC 9449 8.1, 9)."""
    par_dpop_private_key_jwt(strict_idp, rp, page, strict_idp.create_user())


def par_dpop_private_key_jwt(idp, rp, page, user):
    key = RSAKey.generate_key(2048, private=True, parameters={"kid": "rp-1", "alg": "RS256"})
    client, _ = web_client(idp, rp, auth_method="private_key_jwt",
                           metadata={"jwks": {"keys": [key.as_dict(private=False)]}})
    with rp.running(idp.url, client.client_id, private_jwk=key.as_dict(private=True), par=True, dpop=True):
        session, went_to = signed_in(rp, page, user)
        assert session["token_type"].lower() == "dpop"  # the library lower-cases token_type
        assert set(browsing.authorization_request(went_to, idp)) == {"client_id", "request_uri"}  # RFC 9126 4
        assert rp.call("POST", "/api/userinfo")["sub"] == user.id
        assert rp.call("POST", "/api/refresh")["token_type"].lower() == "dpop"
        introspected = rp.call("POST", "/api/introspect")
        assert introspected["active"] is True and introspected["token_type"] == "DPoP"
        assert introspected["cnf"]["jkt"]


@ON_POSTGRES
def test_signed_request_object_rfc9101_oidc_core_6_1(idp, rp, page, user):
    """RFC 9101 / OIDC Core 6.1: the library signs the authorization request with the RP's key; the
    browser carries only client_id and request, and the IdP takes state, nonce and PKCE from it."""
    key = RSAKey.generate_key(2048, private=True, parameters={"kid": "rp-jar", "alg": "RS256"})
    client, _ = web_client(idp, rp, auth_method="private_key_jwt",
                           metadata={"jwks": {"keys": [key.as_dict(private=False)]}})
    with rp.running(idp.url, client.client_id, private_jwk=key.as_dict(private=True), jar=True):
        session, went_to = signed_in(rp, page, user)
        assert set(browsing.authorization_request(went_to, idp)) == {"client_id", "request"}
        assert session["claims"]["sub"] == user.id
        assert rp.call("POST", "/api/userinfo")["sub"] == user.id


@ON_POSTGRES
def test_device_flow_with_a_public_client_rfc8628(idp, rp, page, user):
    """RFC 8628 3.1-3.5: openid-client starts the grant and polls; a person enters the code in Chromium."""
    client, _ = idp.create_client(name="openid-client TV", public=True, redirect_uris=[], grant_types=[DEVICE_GRANT])
    with rp.running(idp.url, client.client_id):
        grant = rp.call("POST", "/api/device")
        page.goto(grant["verification_uri"])
        browsing.sign_in(page, user)
        page.wait_for_url("**/device")
        page.get_by_label("Code").fill(grant["user_code"])
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("button", name="Allow").click()
        page.get_by_role("heading", name="Device connected").wait_for()
        wait_until(lambda: rp.call("GET", "/api/device")["status"] != "pending", 30, interval=0.5)
        result = rp.call("GET", "/api/device")
        assert result["status"] == "done", result
        assert result["claims"]["sub"] == user.id
