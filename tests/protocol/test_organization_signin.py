"""Signing in to an organization (issue 33) end to end on both live servers: `organization=<id or
slug>` in the authorization request, membership required (access_denied by redirect, RFC 6749
4.1.2.1), the picker for a client that requires an organization, org_id / org_name (Auth0's names)
in the ID token, the access token and introspection (RFC 7662 2.2), the access token's roles those
of the user in that organization (RFC 9068 2.2.3.1), and refresh keeping the grant's organization."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

import requests

from tests.admin_api import admin_session
from tests.apis_helpers import (
    authorize_url,
    claims_of,
    introspect,
    rp_client,
    s256,
    token_request,
    two_apis,
    uid,
)
from tests.conftest import REDIRECT_URI, Browser, callback_params, hidden_fields

SCOPE = "openid profile offline_access orders:read orders:write"
CLIENT_SCOPE = SCOPE + " roles"


def setting(idp, client_id, **settings):
    idp.services.organizations.set_client_settings(client_id, **settings)


def org_with_member(idp, apis, user, role: str | None):
    org = idp.services.organizations.create(slug=f"acme-{uid()}", name="Acme Inc.")
    idp.services.organizations.add_member(org.id, user.id)
    if role:
        idp.services.organizations.set_roles(org.id, user.id, [(apis.a, role)])
    return org


def redeem(idp, client, secret, response, verifier) -> dict:
    params = callback_params(response)
    assert "code" in params, params
    token = token_request(idp, (client.client_id, secret), grant_type="authorization_code", code=params["code"],
                          redirect_uri=REDIRECT_URI, code_verifier=verifier)
    assert token.status_code == 200, token.text
    return token.json()


def sign_in(idp, browser, client, secret, user, scope=SCOPE, **extra) -> dict:
    verifier = secrets.token_urlsafe(48)
    url = authorize_url(idp, client.client_id, scope, [], verifier, **extra)
    return redeem(idp, client, secret, browser.authorize(url, user.email), verifier)


def setup(idp):
    apis = two_apis(idp, role_scopes=["orders:read", "orders:write"])  # API A's scopes need a role
    registry = idp.services.apis
    registry.create_role(apis.a, "orders-admin", ["orders:read", "orders:write"])
    registry.create_role(apis.a, "orders-reader", ["orders:read"])
    client, secret = rp_client(idp, apis, scope=CLIENT_SCOPE, trusted=True)
    registry.allow(apis.a, client.client_id, default=True)
    setting(idp, client.client_id, usage="allow")
    return apis, client, secret


def test_tokens_carry_the_organization_and_the_roles_held_in_it_rfc9068_2_2_3_1(idp):
    apis, client, secret = setup(idp)
    user = idp.create_user()
    idp.services.apis.assign(apis.a, "orders-admin", user_id=user.id)  # outside any organization
    acme = org_with_member(idp, apis, user, "orders-reader")
    tokens = sign_in(idp, Browser(idp), client, secret, user, organization=acme.slug)
    access, id_token = claims_of(tokens["access_token"]), claims_of(tokens["id_token"])
    assert (access["org_id"], access["org_name"]) == (acme.id, "Acme Inc.") == (id_token["org_id"], id_token["org_name"])
    assert access["roles"] == ["orders-reader"] and access["scope"].split() == ["openid", "profile", "offline_access",
                                                                                 "orders:read"]
    with_roles = sign_in(idp, Browser(idp), client, secret, user, organization=acme.slug, scope=SCOPE + " roles")
    assert claims_of(with_roles["id_token"])["roles"] == ["orders-reader"]  # the ID token's roles: those in acme
    info = requests.get(idp.endpoint("/userinfo"), headers={"Authorization": "Bearer " + with_roles["access_token"]},
                        timeout=10).json()
    assert info["roles"] == ["orders-reader"]
    seen = introspect(idp, apis.a_server, tokens["access_token"])
    assert seen["org_id"] == acme.id and seen["org_name"] == "Acme Inc." and seen["roles"] == ["orders-reader"]
    # A change of the member's roles reaches the next token (the authorization cache's version moves).
    idp.services.organizations.set_roles(acme.id, user.id, [(apis.a, "orders-admin")])
    refreshed = token_request(idp, (client.client_id, secret), grant_type="refresh_token",
                              refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    again = claims_of(refreshed.json()["access_token"])
    assert again["org_id"] == acme.id and again["roles"] == ["orders-admin"]
    # Without an organization: the user's own roles, and no organization claims.
    plain = claims_of(sign_in(idp, Browser(idp), client, secret, user)["access_token"])
    assert "org_id" not in plain and plain["roles"] == ["orders-admin"]


def test_refresh_after_leaving_the_organization_is_invalid_grant_rfc6749_5_2(idp):
    apis, client, secret = setup(idp)
    user = idp.create_user()
    acme = org_with_member(idp, apis, user, "orders-reader")
    tokens = sign_in(idp, Browser(idp), client, secret, user, organization=acme.id)
    idp.services.organizations.remove_member(acme.id, user.id)
    refreshed = token_request(idp, (client.client_id, secret), grant_type="refresh_token",
                              refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"


def test_a_non_member_or_an_unknown_organization_is_access_denied_by_redirect_rfc6749_4_1_2_1(idp):
    apis, client, secret = setup(idp)
    member, outsider = idp.create_user(), idp.create_user()
    acme = org_with_member(idp, apis, member, None)
    for user, asked in ((outsider, acme.slug), (member, "no-such-org"), (member, "x" * 80)):
        params = callback_params(Browser(idp).authorize(authorize_url(idp, client.client_id, SCOPE, [],
                                                                      organization=asked), user.email))
        assert params["error"] == "access_denied" and "code" not in params and params["state"] == "st-1"
        assert "not a member of the organization" in params["error_description"]
    # A client limited to other organizations, and a client that does not use organizations.
    other = idp.services.organizations.create(slug=f"other-{uid()}", name="Other")
    setting(idp, client.client_id, allowed=[other.id])
    params = callback_params(Browser(idp).authorize(authorize_url(idp, client.client_id, SCOPE, [],
                                                                  organization=acme.slug), member.email))
    assert params["error"] == "access_denied" and "not available to members of Acme Inc." in params["error_description"]
    # The only allowed organization deleted: the limit stays (none allowed), it never becomes "any".
    idp.services.organizations.delete(other.id)
    params = callback_params(Browser(idp).authorize(authorize_url(idp, client.client_id, SCOPE, [],
                                                                  organization=acme.slug), member.email))
    assert params["error"] == "access_denied" and "not available to members" in params["error_description"]
    setting(idp, client.client_id, usage="none", allowed=[])
    params = callback_params(Browser(idp).authorize(authorize_url(idp, client.client_id, SCOPE, [],
                                                                  organization=acme.slug), member.email))
    assert params["error"] == "access_denied" and "does not sign in to organizations" in params["error_description"]


def test_a_client_that_requires_an_organization_asks_the_user_to_pick_one(idp):
    apis, client, secret = setup(idp)
    setting(idp, client.client_id, usage="require")
    user = idp.create_user()
    acme = org_with_member(idp, apis, user, "orders-admin")
    browser, verifier = Browser(idp), secrets.token_urlsafe(48)
    page = browser.authorize(authorize_url(idp, client.client_id, SCOPE, [], verifier), user.email)
    assert page.status_code == 200 and f'data-organization="{acme.slug}"' in page.text, page.text[:500]
    fields = hidden_fields(page.text)
    tampered = browser.go(idp.endpoint("/authorize/organization"), "POST", {**fields, "csrf_token": "x",
                                                                          "organization": acme.slug})
    assert tampered.status_code == 400  # CSRF token checked
    response = browser.go(idp.endpoint("/authorize/organization"), "POST", {**fields, "organization": acme.slug})
    tokens = redeem(idp, client, secret, response, verifier)
    assert claims_of(tokens["access_token"])["org_id"] == acme.id
    # prompt=none cannot show the picker: access_denied by redirect.
    params = callback_params(browser.go(authorize_url(idp, client.client_id, SCOPE, [], prompt="none")))
    assert params["error"] == "access_denied"


def test_a_verified_domain_email_joins_an_organization_that_allows_it_on_sign_in(idp):
    apis, client, secret = setup(idp)
    org = idp.services.organizations.create(slug=f"jit-{uid()}", name="JIT Inc.")
    domain = f"jit-{uid()}.example.com"
    colleague, stranger = idp.create_user(email=f"ann@{domain}"), idp.create_user()
    admin = admin_session(idp)
    etag = admin.get(f"/organizations/{org.id}").headers["ETag"]
    refused = admin.patch(f"/organizations/{org.id}", json={"domain_membership": True}, headers={"If-Match": etag})
    assert refused.status_code == 400  # no verified domain yet
    claimed = idp.services.organizations.add_domain(org.id, domain, "t")
    url = authorize_url(idp, client.client_id, SCOPE, [], organization=org.slug)
    # Before the organization allows it, or before the domain is verified: not a member, access_denied.
    assert callback_params(Browser(idp).authorize(url, colleague.email))["error"] == "access_denied"
    idp.services.organizations.mark_verified(claimed.id)
    allowed = admin.patch(f"/organizations/{org.id}", json={"domain_membership": True}, headers={"If-Match": etag})
    assert allowed.status_code == 200 and allowed.json()["domain_membership"] is True
    tokens = sign_in(idp, Browser(idp), client, secret, colleague, organization=org.slug)
    assert claims_of(tokens["access_token"])["org_id"] == org.id
    assert idp.services.organizations.is_member(org.id, colleague.id)
    assert callback_params(Browser(idp).authorize(url, stranger.email))["error"] == "access_denied"


def test_a_pushed_request_keeps_its_organization_rfc9126_2_1(idp):
    apis, client, secret = setup(idp)
    user = idp.create_user()
    acme = org_with_member(idp, apis, user, "orders-reader")
    verifier = secrets.token_urlsafe(48)
    pushed = requests.post(idp.endpoint("/par"), auth=(client.client_id, secret), timeout=10, data={
        "response_type": "code", "client_id": client.client_id, "redirect_uri": REDIRECT_URI, "scope": SCOPE,
        "state": "st-1", "code_challenge": s256(verifier), "code_challenge_method": "S256", "organization": acme.slug})
    assert pushed.status_code == 201, pushed.text
    url = idp.endpoint("/authorize") + "?" + urlencode({"client_id": client.client_id,
                                                        "request_uri": pushed.json()["request_uri"]})
    tokens = redeem(idp, client, secret, Browser(idp).authorize(url, user.email), verifier)
    assert claims_of(tokens["access_token"])["org_id"] == acme.id
