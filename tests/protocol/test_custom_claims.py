"""Custom claims without code (issue 35): claim mappings on an API (its access tokens, RFC 9068 2.2)
and on a client (its ID tokens, OpenID Connect Core 2, and userinfo, 5.3.2), from the user's
app_metadata / user_metadata, profile, groups and organization; scope gating; the size bound; and
"the next token" after a change, on both backends."""

from __future__ import annotations

import pytest
import requests

from idp.apis.claim_mappings import TOKEN_BUDGET

from ..admin_api import admin_session
from ..apis_helpers import claims_of, code_flow, introspect, rp_client, token_request, two_apis, uid, verify_locally
from ..conftest import Browser

SCOPE = "openid profile offline_access orders:read"


def userinfo(idp, access_token: str) -> dict:
    response = requests.get(idp.endpoint("/userinfo"), headers={"Authorization": f"Bearer {access_token}"},
                            timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def set_metadata(admin, user_id: str, **metadata) -> dict:
    """PATCH under the ETag just read (the admin API's If-Match rule)."""
    read = admin.get(f"/users/{user_id}")
    changed = admin.patch(f"/users/{user_id}", json=metadata, headers={"If-Match": read.headers["ETag"]})
    assert changed.status_code == 200, changed.text
    return changed.json()


def mapped_setup(idp, admin):
    apis = two_apis(idp)
    api_id = idp.services.apis.api(apis.a).id
    etag = admin.get(f"/apis/{api_id}").headers["ETag"]
    mappings = [{"claim": "plan", "from": "app_metadata.plan"},
                {"claim": "https://example.com/limits", "from": "app_metadata.limits"},
                {"claim": "teams", "from": "groups"},
                {"claim": "contact", "from": "user.email", "scope": "orders:write"},
                {"claim": "missing", "from": "app_metadata.nothing.here"}]
    changed = admin.patch(f"/apis/{api_id}", json={"claim_mappings": mappings}, headers={"If-Match": etag})
    assert changed.status_code == 200, changed.text
    assert changed.json()["claim_mappings"] == mappings
    client, secret = rp_client(idp, apis)
    read = admin.get(f"/clients/{client.client_id}")
    changed = admin.patch(f"/clients/{client.client_id}", headers={"If-Match": read.headers["ETag"]},
                          json={"claim_mappings": [{"claim": "tier", "from": "user_metadata.tier"},
                                                   {"claim": "plan_name", "from": "app_metadata.plan"}]})
    assert changed.status_code == 200, changed.text
    user = idp.create_user()
    group = f"crew-{uid()}"
    idp.services.apis.create_group(group)
    idp.services.apis.add_member(group, user_id=user.id)
    set_metadata(admin, user.id, app_metadata={"plan": "gold", "limits": {"orders": 5, "regions": ["eu"]}},
                 user_metadata={"tier": 3})
    return apis, api_id, client, secret, user, group


def test_mapped_claims_in_access_token_id_token_userinfo_and_introspection_rfc9068_2_2(idp, browser):
    admin = admin_session(idp)
    apis, _, client, secret, user, group = mapped_setup(idp, admin)
    token = code_flow(idp, browser, client, secret, user, scope=SCOPE, resources=[apis.a])

    access = verify_locally(idp, token["access_token"], apis.a)  # what a resource server reads offline
    assert access["plan"] == "gold" and access["https://example.com/limits"] == {"orders": 5, "regions": ["eu"]}
    assert access["teams"] == [group]
    assert "contact" not in access  # gated on orders:write, not granted
    assert "missing" not in access  # a missing source leaves the claim out
    assert "tier" not in access  # a client's mappings are for its ID tokens and userinfo
    assert access["sub"] and access["client_id"] == client.client_id

    id_token = claims_of(token["id_token"])
    assert id_token["tier"] == 3 and id_token["plan_name"] == "gold"
    assert "plan" not in id_token  # the API's mappings are for its access tokens

    info = userinfo(idp, token["access_token"])
    assert info["tier"] == 3 and info["plan_name"] == "gold" and info["sub"] == id_token["sub"]

    seen = introspect(idp, apis.a_server, token["access_token"])  # RFC 7662 2.2
    assert seen["active"] and seen["plan"] == "gold" and seen["teams"] == [group]
    assert seen["https://example.com/limits"] == {"orders": 5, "regions": ["eu"]}


def test_a_scope_gated_mapping_needs_the_scope_granted_rfc6749_3_3(idp, browser):
    admin = admin_session(idp)
    apis, _, client, secret, user, _ = mapped_setup(idp, admin)
    token = code_flow(idp, browser, client, secret, user, scope=SCOPE + " orders:write", resources=[apis.a])
    assert claims_of(token["access_token"])["contact"] == user.email
    narrow = code_flow(idp, Browser(idp), client, secret, user, scope=SCOPE, resources=[apis.a])
    assert "contact" not in claims_of(narrow["access_token"])


def test_a_metadata_or_mapping_change_reaches_the_next_token(idp, browser):
    """The user snapshot is replaced on the write, the mappings' cache version bumped (issue 21's rule)."""
    admin = admin_session(idp)
    apis, api_id, client, secret, user, _ = mapped_setup(idp, admin)
    token = code_flow(idp, browser, client, secret, user, scope=SCOPE, resources=[apis.a])
    assert claims_of(token["access_token"])["plan"] == "gold"

    set_metadata(admin, user.id, app_metadata={"plan": "platinum"})
    refreshed = token_request(idp, (client.client_id, secret), grant_type="refresh_token",
                              refresh_token=token["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    access = claims_of(refreshed.json()["access_token"])
    assert access["plan"] == "platinum" and "https://example.com/limits" not in access

    etag = admin.get(f"/apis/{api_id}").headers["ETag"]
    assert admin.patch(f"/apis/{api_id}", json={"claim_mappings": [{"claim": "level", "from": "app_metadata.plan"}]},
                       headers={"If-Match": etag}).status_code == 200
    again = token_request(idp, (client.client_id, secret), grant_type="refresh_token",
                          refresh_token=refreshed.json()["refresh_token"])
    access = claims_of(again.json()["access_token"])
    assert access["level"] == "platinum" and "plan" not in access

    read = admin.get(f"/clients/{client.client_id}")
    assert admin.patch(f"/clients/{client.client_id}", json={"claim_mappings": None},
                       headers={"If-Match": read.headers["ETag"]}).status_code == 200
    assert "tier" not in userinfo(idp, again.json()["access_token"])


def test_a_claim_past_the_token_budget_is_an_overage_marker_answered_in_full_by_introspection(idp, browser):
    """Access tokens stay well under the 8192 characters every validator here accepts."""
    admin = admin_session(idp)
    apis, _, client, secret, user, _ = mapped_setup(idp, admin)
    big = "x" * (TOKEN_BUDGET + 100)
    set_metadata(admin, user.id, app_metadata={"plan": big}, user_metadata={"tier": big})
    token = code_flow(idp, browser, client, secret, user, scope=SCOPE, resources=[apis.a])
    access = claims_of(token["access_token"])
    assert access["plan_overage"] is True and "plan" not in access and len(token["access_token"]) < 4096
    assert introspect(idp, apis.a_server, token["access_token"])["plan"] == big
    id_token = claims_of(token["id_token"])
    assert id_token["tier_overage"] is True and "tier" not in id_token
    assert userinfo(idp, token["access_token"])["tier"] == big


def test_organization_fields_are_mapped_only_in_an_organizations_token(idp, browser):
    admin = admin_session(idp)
    apis = two_apis(idp)
    client, secret = rp_client(idp, apis)
    read = admin.get(f"/clients/{client.client_id}")
    assert admin.patch(f"/clients/{client.client_id}", headers={"If-Match": read.headers["ETag"]},
                       json={"claim_mappings": [{"claim": "org_slug", "from": "organization.slug"},
                                                {"claim": "full_name", "from": "user.name"}]}).status_code == 200
    user = idp.create_user(name="Grace Hopper")
    token = code_flow(idp, browser, client, secret, user, scope="openid", resources=[apis.a])
    id_token = claims_of(token["id_token"])
    assert id_token["full_name"] == "Grace Hopper" and "org_slug" not in id_token


def test_a_change_made_on_one_replica_reaches_the_next_token_of_another_at_once(idp, browser):
    """Metadata through the first server's admin API, mappings through its registry: the second
    replica's next token has both, its warm caches notwithstanding (the user snapshot's tombstone,
    the authorization cache's version)."""
    if idp.backend != "postgres":
        pytest.skip("replicas share state through Redis; the embedded store is per process")
    from ..conftest import start_replica

    admin = admin_session(idp)
    apis, api_id, client, secret, user, _ = mapped_setup(idp, admin)
    token = code_flow(idp, browser, client, secret, user, scope=SCOPE, resources=[apis.a])
    replica, stop = start_replica(idp)
    try:
        auth = (client.client_id, secret)
        first = token_request(replica, auth, grant_type="refresh_token", refresh_token=token["refresh_token"])
        assert claims_of(first.json()["access_token"])["plan"] == "gold"  # the replica's caches are warm
        set_metadata(admin, user.id, app_metadata={"plan": "silver"})
        etag = admin.get(f"/apis/{api_id}").headers["ETag"]
        assert admin.patch(f"/apis/{api_id}", headers={"If-Match": etag}, json={"claim_mappings": [
            {"claim": "plan", "from": "app_metadata.plan"}, {"claim": "mail", "from": "user.email"}]}).status_code == 200
        second = token_request(replica, auth, grant_type="refresh_token", refresh_token=first.json()["refresh_token"])
        access = claims_of(second.json()["access_token"])
        assert access["plan"] == "silver" and access["mail"] == user.email and "teams" not in access
    finally:
        stop()


def test_an_exchanged_token_carries_its_apis_mapped_claims_not_the_protocol_ones_rfc8693_2_2(idp, browser):
    """API B's mappings in the token API A got for it on the user's behalf; `act`, `sub`, `aud` and
    the roles stay the server's (a mapping can never name them)."""
    from .test_token_exchange import app_token, chain, delegated

    ch = chain(idp)
    admin = admin_session(idp)
    set_metadata(admin, ch.user.id, app_metadata={"plan": "gold"})
    api_id = idp.services.apis.api(ch.b).id
    etag = admin.get(f"/apis/{api_id}").headers["ETag"]
    assert admin.patch(f"/apis/{api_id}", headers={"If-Match": etag}, json={"claim_mappings": [
        {"claim": "plan", "from": "app_metadata.plan"}, {"claim": "paying", "from": "user.email", "scope": "billing:pay"}
    ]}).status_code == 200
    response = delegated(idp, ch, app_token(idp, browser, ch)["access_token"], scope="billing:read")
    assert response.status_code == 200, response.text
    claims = verify_locally(idp, response.json()["access_token"], ch.b)
    assert claims["plan"] == "gold" and "paying" not in claims  # billing:pay was not granted
    assert claims["sub"] == ch.user.id and claims["act"] == {"sub": ch.a_rs[0].client_id}
    assert claims["roles"] == ["billing-viewer"]
