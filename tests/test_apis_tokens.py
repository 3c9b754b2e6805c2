"""Tokens for registered APIs (issue 21), end to end on the live servers: resource indicators
(RFC 8707), JWT access tokens (RFC 9068), introspection per resource server (RFC 7662)."""

from __future__ import annotations

import pytest
import requests
from joserfc.errors import InvalidClaimError

from .apis_helpers import (
    authorize_url,
    claims_of,
    code_flow,
    introspect,
    member_with_role,
    rp_client,
    token_request,
    two_apis,
    uid,
    verify_locally,
)
from .conftest import callback_params


def test_token_for_api_a_has_aud_a_and_only_a_roles_rfc8707_2_rfc9068_2_2(idp, browser):
    apis = two_apis(idp)
    client, secret = rp_client(idp, apis)
    user, (outer, inner) = member_with_role(idp, apis)
    token = code_flow(idp, browser, client, secret, user, scope="openid orders:read orders:write billing:read groups",
                      resources=[apis.a])
    claims = verify_locally(idp, token["access_token"], apis.a)
    # RFC 9068 2.2: typ at+jwt (checked above), aud, client_id, scope, jti, auth_time of the sign-in
    assert claims["aud"] == apis.a and claims["client_id"] == client.client_id and claims["jti"]
    assert isinstance(claims["auth_time"], int)
    assert set(claims["scope"].split()) == {"openid", "orders:read", "orders:write", "groups"}  # no B scope
    assert claims["roles"] == ["orders-admin"]  # RFC 9068 2.2.3.1: A's roles only, not billing-viewer
    assert claims["groups"] == sorted([outer, inner]) and claims["entitlements"] == ["orders:read", "orders:write"]
    with pytest.raises(InvalidClaimError):
        verify_locally(idp, token["access_token"], apis.b)  # B validating aud refuses it
    seen_by_a = introspect(idp, apis.a_server, token["access_token"])
    assert seen_by_a["active"] and seen_by_a["aud"] == apis.a and seen_by_a["roles"] == ["orders-admin"]
    assert introspect(idp, apis.b_server, token["access_token"]) == {"active": False}  # RFC 7662 4


def test_unknown_resource_is_invalid_target_by_redirect_at_authorize_rfc8707_2(idp, browser):
    apis = two_apis(idp)
    client, _ = rp_client(idp, apis)
    user = idp.create_user()
    for resource in ("https://unknown.example.com/", "not a uri"):
        params = callback_params(browser.authorize(authorize_url(idp, client.client_id, "openid", [resource]),
                                                   user.email))
        assert params["error"] == "invalid_target" and params["state"] == "st-1", params


def test_resource_not_allowed_to_the_client_is_invalid_target_at_par_rfc8707_2_rfc9126_2_3(idp):
    apis = two_apis(idp)
    client, secret = idp.create_client(name="Only A", scope="openid")
    idp.services.apis.allow(apis.a, client.client_id)
    base = {"response_type": "code", "client_id": client.client_id, "redirect_uri": "http://127.0.0.1:8080/callback",
            "scope": "openid", "code_challenge": "x" * 43, "code_challenge_method": "S256"}
    refused = requests.post(idp.endpoint("/par"), data={**base, "resource": apis.b}, auth=(client.client_id, secret),
                            timeout=10)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_target"
    pushed = requests.post(idp.endpoint("/par"), data={**base, "resource": apis.a}, auth=(client.client_id, secret),
                           timeout=10)
    assert pushed.status_code == 201, pushed.text


def test_client_credentials_per_api_allowance_scopes_and_lifetime_rfc8707_2_rfc6749_4_4(idp):
    apis = two_apis(idp, access_token_ttl=120)
    service, secret = idp.create_client(name="Batch", redirect_uris=[], grant_types=["client_credentials"], scope="")
    idp.services.apis.allow(apis.a, service.client_id, ["orders:read"])
    auth = (service.client_id, secret)
    ok = token_request(idp, auth, [apis.a], grant_type="client_credentials", scope="orders:read orders:write")
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["scope"] == "orders:read" and body["expires_in"] == 120  # the API's lifetime
    claims = verify_locally(idp, body["access_token"], apis.a)
    assert claims["sub"] == service.client_id and "auth_time" not in claims and "roles" not in claims
    only_unallowed = token_request(idp, auth, [apis.a], grant_type="client_credentials", scope="orders:write")
    assert only_unallowed.status_code == 400 and only_unallowed.json()["error"] == "invalid_scope"
    # RFC 8707 2: a resource the AS does not consider acceptable (not allowed to this client)
    other = token_request(idp, auth, [apis.b], grant_type="client_credentials")
    assert other.status_code == 400 and other.json()["error"] == "invalid_target"
    unknown = token_request(idp, auth, ["https://nowhere.example/"], grant_type="client_credentials")
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_target"


def test_default_api_applies_without_resource_and_dpop_only_is_honoured_rfc9449_5(idp):
    registry = idp.services.apis
    ident = f"https://dpop-{uid()}.example.com/"
    registry.create_api(ident, "Strict", {"strict:use": "Use it"}, dpop_only=True)
    service, secret = idp.create_client(name="Machine", redirect_uris=[], grant_types=["client_credentials"],
                                        scope="")
    registry.allow(ident, service.client_id, default=True)
    refused = token_request(idp, (service.client_id, secret), grant_type="client_credentials")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_dpop_proof"


def test_client_without_apis_keeps_the_issuer_audience(idp, browser, client, user):
    from .test_code_flow import run_code_flow

    _, _, token, _, _ = run_code_flow(idp, browser, client, user)
    assert claims_of(token["access_token"])["aud"] == idp.url


def test_role_scope_needs_a_role_users_never_gain_a_scope_by_asking(idp, browser):
    registry = idp.services.apis
    ident = f"https://admin-{uid()}.example.com/"
    registry.create_api(ident, "Admin API", {"admin:read": "Read", "admin:write": "Write"},
                        role_scopes=["admin:write"])
    registry.create_role(ident, "writer", ["admin:write"])
    client, secret = idp.create_client(scope="openid")
    registry.allow(ident, client.client_id)
    plain, writer = idp.create_user(), idp.create_user()
    registry.assign(ident, "writer", user_id=writer.id)
    asked = "openid admin:read admin:write"
    plain_token = code_flow(idp, browser, client, secret, plain, scope=asked, resources=[ident])
    assert plain_token["scope"].split() == ["openid", "admin:read"]
    from .conftest import Browser

    writer_token = code_flow(idp, Browser(idp), client, secret, writer, scope=asked, resources=[ident])
    assert set(writer_token["scope"].split()) == {"openid", "admin:read", "admin:write"}
    assert claims_of(writer_token["access_token"])["roles"] == ["writer"]


def test_refresh_may_narrow_the_audience_never_widen_rfc8707_2_2(idp, browser):
    apis = two_apis(idp)
    client, secret = rp_client(idp, apis)
    user, _ = member_with_role(idp, apis)
    third = f"https://third-{uid()}.example.com/"
    idp.services.apis.create_api(third, "Third", {"third:use": "Use"})
    idp.services.apis.allow(third, client.client_id)
    token = code_flow(idp, browser, client, secret, user, scope="openid offline_access orders:read billing:read",
                      resources=[apis.a, apis.b])
    assert sorted(claims_of(token["access_token"])["aud"]) == sorted([apis.a, apis.b])
    auth = (client.client_id, secret)
    narrowed = token_request(idp, auth, [apis.b], grant_type="refresh_token", refresh_token=token["refresh_token"])
    assert narrowed.status_code == 200, narrowed.text
    claims = claims_of(narrowed.json()["access_token"])
    assert claims["aud"] == apis.b and claims["roles"] == ["billing-viewer"]
    assert "orders:read" not in claims["scope"].split()
    widened = token_request(idp, auth, [third], grant_type="refresh_token",
                            refresh_token=narrowed.json()["refresh_token"])
    assert widened.status_code == 400 and widened.json()["error"] == "invalid_target"


def test_group_role_reaches_the_next_token_on_a_second_replica_at_once(idp, browser):
    if idp.backend != "postgres":
        pytest.skip("replicas share state through Redis; the embedded store is per process")
    from .conftest import start_replica

    apis = two_apis(idp)
    client, secret = rp_client(idp, apis)
    user = idp.create_user()
    group = f"late-{uid()}"
    registry = idp.services.apis
    registry.create_group(group)
    registry.add_member(group, user_id=user.id)
    registry.create_role(apis.a, "auditor", ["orders:read"])
    token = code_flow(idp, browser, client, secret, user, scope="openid offline_access orders:read",
                      resources=[apis.a])
    assert "roles" not in claims_of(token["access_token"])
    replica, stop = start_replica(idp)
    try:
        auth = (client.client_id, secret)
        first = token_request(replica, auth, grant_type="refresh_token", refresh_token=token["refresh_token"])
        assert first.status_code == 200 and "roles" not in claims_of(first.json()["access_token"])  # cache warm
        registry.assign(apis.a, "auditor", group=group)  # on the first server's registry
        second = token_request(replica, auth, grant_type="refresh_token", refresh_token=first.json()["refresh_token"])
        assert second.status_code == 200, second.text
        assert claims_of(second.json()["access_token"])["roles"] == ["auditor"]
    finally:
        stop()


def test_device_flow_asks_for_an_api_rfc8628_3_1_rfc8707_2(idp, browser):
    from .test_device import DEVICE_GRANT, enter_code

    apis = two_apis(idp)
    device, _ = idp.create_client(name="TV", public=True, redirect_uris=[], grant_types=[DEVICE_GRANT], scope="openid")
    idp.services.apis.allow(apis.a, device.client_id)
    endpoint = idp.endpoint("/device_authorization")
    unknown = requests.post(endpoint, data={"client_id": device.client_id, "scope": "openid", "resource": apis.b},
                            timeout=10)
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_target"
    grant = requests.post(endpoint, data={"client_id": device.client_id, "scope": "openid orders:read",
                                          "resource": apis.a}, timeout=10).json()
    enter_code(browser, idp.create_user(), grant["user_code"])
    polled = requests.post(idp.endpoint("/token"), timeout=10, data={
        "grant_type": DEVICE_GRANT, "device_code": grant["device_code"], "client_id": device.client_id,
        "resource": apis.a})
    assert polled.status_code == 200, polled.text
    claims = verify_locally(idp, polled.json()["access_token"], apis.a)
    assert claims["scope"] == "openid orders:read"
