"""RFC 8707 2 / RFC 9068 2.2.3: a scope a registered API defines speaks for that API alone, so it
appears only in tokens whose audience is that API, for every grant: never in a token for another
API, nor in one for the issuer, even when the client's own scope list holds it.

API A (orders) defines orders:read; API B (billing) stands for "another API". Every client here
has orders:read in its own scope list, the case where the cut used to keep it."""

from __future__ import annotations

import requests

from ..apis_helpers import claims_of, code_flow, member_with_role, rp_client, token_request, two_apis, verify_locally
from ..conftest import Browser

OWN = "openid profile offline_access orders:read billing:read"


def scopes(token: str) -> set[str]:
    return set(claims_of(token)["scope"].split())


def test_client_credentials_token_for_another_api_never_carries_its_scope_rfc8707_2(idp):
    apis = two_apis(idp)
    service, secret = idp.create_client(name="Batch", redirect_uris=[], grant_types=["client_credentials"],
                                        scope="orders:read billing:read")
    idp.services.apis.allow(apis.a, service.client_id)
    idp.services.apis.allow(apis.b, service.client_id)
    auth = (service.client_id, secret)
    for_b = token_request(idp, auth, [apis.b], grant_type="client_credentials", scope="orders:read billing:read")
    assert for_b.status_code == 200, for_b.text
    assert verify_locally(idp, for_b.json()["access_token"], apis.b)["scope"] == "billing:read"
    assert for_b.json()["scope"] == "billing:read"
    only_a_scope = token_request(idp, auth, [apis.b], grant_type="client_credentials", scope="orders:read")
    assert only_a_scope.status_code == 400 and only_a_scope.json()["error"] == "invalid_scope"
    for_issuer = token_request(idp, auth, grant_type="client_credentials", scope="orders:read")  # no resource
    assert for_issuer.status_code == 400 and for_issuer.json()["error"] == "invalid_scope"
    for_a = token_request(idp, auth, [apis.a], grant_type="client_credentials", scope="orders:read")
    assert for_a.status_code == 200 and scopes(for_a.json()["access_token"]) == {"orders:read"}


def test_code_flow_token_for_another_api_or_the_issuer_never_carries_an_api_scope_rfc8707_2(idp, browser):
    apis = two_apis(idp)
    client, secret = rp_client(idp, apis, scope=OWN)
    user, _ = member_with_role(idp, apis)
    for_b = code_flow(idp, browser, client, secret, user, scope="openid orders:read billing:read", resources=[apis.b])
    assert claims_of(for_b["access_token"])["aud"] == apis.b
    assert scopes(for_b["access_token"]) == {"openid", "billing:read"}
    for_issuer = code_flow(idp, Browser(idp), client, secret, idp.create_user(), scope="openid orders:read")  # no resource
    assert claims_of(for_issuer["access_token"])["aud"] == idp.url
    assert scopes(for_issuer["access_token"]) == {"openid"}


def test_refresh_narrowed_to_another_api_drops_the_first_apis_scope_rfc8707_2_2(idp, browser):
    apis = two_apis(idp)
    client, secret = rp_client(idp, apis, scope=OWN)
    user, _ = member_with_role(idp, apis)
    token = code_flow(idp, browser, client, secret, user, scope="openid offline_access orders:read billing:read",
                      resources=[apis.a, apis.b])
    assert scopes(token["access_token"]) >= {"orders:read", "billing:read"}  # both APIs are the audience
    auth = (client.client_id, secret)
    to_b = token_request(idp, auth, [apis.b], grant_type="refresh_token", refresh_token=token["refresh_token"])
    assert to_b.status_code == 200, to_b.text
    assert claims_of(to_b.json()["access_token"])["aud"] == apis.b
    assert scopes(to_b.json()["access_token"]) == {"openid", "offline_access", "billing:read"}
    to_a = token_request(idp, auth, [apis.a], grant_type="refresh_token", refresh_token=to_b.json()["refresh_token"])
    assert to_a.status_code == 200, to_a.text
    assert scopes(to_a.json()["access_token"]) == {"openid", "offline_access", "orders:read"}


def test_device_grant_token_for_another_api_never_carries_its_scope_rfc8628_rfc8707_2(idp, browser):
    from ..test_device import DEVICE_GRANT, enter_code

    apis = two_apis(idp)
    device, _ = idp.create_client(name="TV", public=True, redirect_uris=[], grant_types=[DEVICE_GRANT],
                                  scope="openid orders:read billing:read")
    idp.services.apis.allow(apis.a, device.client_id)
    idp.services.apis.allow(apis.b, device.client_id)
    grant = requests.post(idp.endpoint("/device_authorization"), timeout=10, data={
        "client_id": device.client_id, "scope": "openid orders:read billing:read", "resource": apis.b}).json()
    assert set(grant.get("scope", "openid billing:read").split()) == {"openid", "billing:read"}
    enter_code(browser, idp.create_user(), grant["user_code"])
    polled = requests.post(idp.endpoint("/token"), timeout=10, data={
        "grant_type": DEVICE_GRANT, "device_code": grant["device_code"], "client_id": device.client_id})
    assert polled.status_code == 200, polled.text
    claims = verify_locally(idp, polled.json()["access_token"], apis.b)
    assert set(claims["scope"].split()) == {"openid", "billing:read"}
