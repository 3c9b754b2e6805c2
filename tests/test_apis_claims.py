"""groups / roles claims (RFC 9068 2.2.3.1 names) in ID tokens, userinfo and introspection, the
bound on their size, the consent page for an API's scopes, and what deleting an API does."""

from __future__ import annotations

import requests

from idp.apis.access import MAX_CLAIM_VALUES
from idp.store.api_models import Group, GroupMember

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
)
from .conftest import Browser, hidden_fields


def userinfo(idp, access_token: str) -> dict:
    response = requests.get(idp.endpoint("/userinfo"), headers={"Authorization": f"Bearer {access_token}"},
                            timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_id_token_and_userinfo_carry_groups_and_roles_only_when_asked_oidc_core_5_4(idp, browser):
    apis = two_apis(idp)
    client, secret = rp_client(idp, apis)
    user, (outer, inner) = member_with_role(idp, apis)
    plain = code_flow(idp, browser, client, secret, user, scope="openid profile", resources=[apis.a])
    assert "groups" not in claims_of(plain["id_token"]) and "roles" not in claims_of(plain["id_token"])
    assert "groups" not in userinfo(idp, plain["access_token"])
    asked = code_flow(idp, Browser(idp), client, secret, user, scope="openid groups roles orders:read",
                      resources=[apis.a])
    id_claims = claims_of(asked["id_token"])
    assert id_claims["groups"] == sorted([outer, inner]) and id_claims["roles"] == ["orders-admin"]
    info = userinfo(idp, asked["access_token"])
    assert info["groups"] == sorted([outer, inner]) and info["roles"] == ["orders-admin"]


def test_five_thousand_groups_leave_an_overage_marker_and_introspection_answers_them_all(idp, browser):
    apis = two_apis(idp)
    client, secret = rp_client(idp, apis)
    user = idp.create_user()
    prefix = f"bulk-{uid()}-"
    with idp.services.db.session() as session:  # 5,000 memberships in one transaction, as an import would
        groups = [Group(name=f"{prefix}{n:04d}") for n in range(5000)]
        session.add_all(groups)
        session.flush()
        session.add_all(GroupMember(group_id=g.id, user_id=user.id) for g in groups)
    idp.services.authorization.changed()
    token = code_flow(idp, browser, client, secret, user, scope="openid groups orders:read", resources=[apis.a])
    access = claims_of(token["access_token"])
    assert access["groups_overage"] is True and "groups" not in access  # bounded: MAX_CLAIM_VALUES
    assert len(token["access_token"]) < 4096
    id_claims = claims_of(token["id_token"])
    assert id_claims["groups_overage"] is True and "groups" not in id_claims
    full = introspect(idp, apis.a_server, token["access_token"])
    assert len(full["groups"]) == 5000 and full["groups"][0] == f"{prefix}0000"
    assert len(userinfo(idp, token["access_token"])["groups"]) == 5000
    assert MAX_CLAIM_VALUES < 5000


def test_consent_page_lists_the_api_scope_descriptions_in_english_and_french(idp):
    apis = two_apis(idp)
    client, _ = rp_client(idp, apis)
    user = idp.create_user()
    for lang, heading in (("en", "Access to Orders API:"), ("fr", "Accès à Orders API :")):
        browser = Browser(idp)
        page = browser.go(authorize_url(idp, client.client_id, "openid orders:read groups", [apis.a]) + f"&lang={lang}")
        page = browser.login(page, user.email)
        assert heading in page.text, page.text[:3000]
        assert 'data-scope="orders:read">Read your orders<' in page.text
        assert "Change your orders" not in page.text  # not asked for


def test_consent_covers_only_what_was_shown(idp):
    """The consent stored is the cut scope: asking later for a scope the page never showed asks again."""
    apis = two_apis(idp)
    client, _ = rp_client(idp, apis)
    user = idp.create_user()
    browser = Browser(idp)
    first = browser.authorize(authorize_url(idp, client.client_id, "openid orders:read", [apis.a]), user.email)
    assert first.status_code == 302
    again = browser.go(authorize_url(idp, client.client_id, "openid orders:read orders:write", [apis.a]))
    assert "would like to" in again.text and "Change your orders" in again.text
    assert hidden_fields(again.text)


def test_deleting_an_api_stops_its_refresh_tokens_and_its_introspection(idp, browser):
    apis = two_apis(idp)
    client, secret = rp_client(idp, apis)
    user, _ = member_with_role(idp, apis)
    token = code_flow(idp, browser, client, secret, user, scope="openid offline_access orders:read",
                      resources=[apis.a])
    assert introspect(idp, apis.a_server, token["access_token"])["active"]
    assert idp.services.apis.delete_api(apis.a)
    refreshed = token_request(idp, (client.client_id, secret), grant_type="refresh_token",
                              refresh_token=token["refresh_token"])
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_target"
    # the resource server is no longer registered for any API: it is an ordinary client, and the token
    # was not issued to it
    assert introspect(idp, apis.a_server, token["access_token"]) == {"active": False}


def test_consent_to_one_apis_scope_never_covers_another_apis_scope_of_that_name(idp):
    registry = idp.services.apis
    x, y = f"https://x-{uid()}.example.com/", f"https://y-{uid()}.example.com/"
    registry.create_api(x, "X", {"read": "Read X"})
    registry.create_api(y, "Y", {"read": "Read Y"})
    client, _ = idp.create_client(scope="openid")
    registry.allow(x, client.client_id)
    registry.allow(y, client.client_id)
    user = idp.create_user()
    browser = Browser(idp)
    assert browser.authorize(authorize_url(idp, client.client_id, "openid read", [x]), user.email).status_code == 302
    silent = browser.go(authorize_url(idp, client.client_id, "openid read", [y], prompt="none"))
    assert "error=consent_required" in silent.headers["Location"]  # OIDC Core 3.1.2.6
    again = browser.go(authorize_url(idp, client.client_id, "openid read", [x], prompt="none"))
    assert "code=" in again.headers["Location"]
