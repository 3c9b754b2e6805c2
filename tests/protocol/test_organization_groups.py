"""Groups of an organization (issue 33, docs/organizations.md): a group carrying an organization's id
gives its roles in that organization's tokens only (RFC 9068 2.2.3.1 `roles`, `groups`): an access
token for organization X carries the member's roles in X plus the roles of X's groups the user is
in; a token for another organization, or for none, carries neither. An X group holds X's members
only, nests only with X's groups, and an organization-limited admin API client manages its own
organization's groups only."""

from __future__ import annotations

from idp.administration import Actor
from idp.organizations.groups import OrganizationGroups
from tests.admin.test_organization_isolation import limited_session
from tests.admin_api import admin_session
from tests.apis_helpers import claims_of, uid
from tests.conftest import Browser
from tests.protocol.test_organization_signin import SCOPE, setup, sign_in


def test_an_organization_groups_roles_count_in_its_tokens_only_rfc9068_2_2_3_1(idp):
    apis, client, secret = setup(idp)
    user = idp.create_user()
    orgs = idp.services.organizations
    x = orgs.create(slug=f"x-{uid()}", name="X Corp")
    y = orgs.create(slug=f"y-{uid()}", name="Y Corp")
    for org in (x, y):
        orgs.add_member(org.id, user.id)
    groups = OrganizationGroups(idp.services)
    operator = Actor.operator()
    group = groups.create(operator, x.slug, {"name": f"x-admins-{uid()}"})
    groups.add_member(operator, x.id, group.id, user.id)
    groups.set_roles(operator, x.id, group.name, [{"api": apis.a, "name": "orders-admin"}])

    in_x = claims_of(sign_in(idp, Browser(idp), client, secret, user, organization=x.slug)["access_token"])
    assert in_x["org_id"] == x.id and in_x["roles"] == ["orders-admin"]
    authorization = idp.services.authorization  # the `groups` claim's source, for a client that asks for it
    assert group.name in authorization.effective(user.id, x.id)[0]
    assert group.name not in authorization.effective(user.id, y.id)[0] + authorization.effective(user.id)[0]
    assert "orders:write" in in_x["scope"].split()
    in_y = claims_of(sign_in(idp, Browser(idp), client, secret, user, organization=y.slug)["access_token"])
    assert in_y["org_id"] == y.id and "roles" not in in_y
    alone = claims_of(sign_in(idp, Browser(idp), client, secret, user, scope=SCOPE)["access_token"])
    assert "org_id" not in alone and "roles" not in alone
    # removed from the organization: the group's roles no longer count there either
    orgs.remove_member(x.id, user.id)
    assert idp.services.authorization.organization_roles(x.id, user.id) is None


def test_an_organization_group_holds_its_members_and_nests_within_its_scope(idp):
    admin = admin_session(idp)
    x = admin.post("/organizations", json={"slug": f"gx-{uid()}", "name": "GX"}).json()
    member, outsider = idp.create_user(), idp.create_user()
    assert admin.put(f"/organizations/{x['id']}/members/{member.id}").status_code == 200
    made = admin.post(f"/organizations/{x['id']}/groups", json={"name": f"gx-{uid()}"})
    assert made.status_code == 201 and made.json()["organization_id"] == x["id"]
    group = made.json()
    base = f"/organizations/{x['id']}/groups/{group['id']}"
    assert admin.put(f"{base}/members/{member.id}").status_code == 204
    assert admin.put(f"{base}/members/{outsider.id}").status_code == 404
    assert [m["user_id"] for m in admin.get(f"{base}/members").json()["items"]] == [member.id]
    bad = admin.put(f"{base}/roles", json={"roles": [{"api": "https://none.example/", "name": "x"}]})
    assert bad.status_code == 400 and [e["name"] for e in bad.json()["errors"]] == ["roles"]
    assert admin.put(f"{base}/roles", json={"roles": [{"api": None, "name": "org:admin"}]}).status_code == 400
    wide = admin.post("/groups", json={"name": f"wide-{uid()}"}).json()
    assert wide["organization_id"] is None
    assert admin.put(f"/groups/{wide['id']}/groups/{group['id']}").status_code == 400  # no nesting across scopes
    assert admin.put(f"/groups/{group['id']}/members/{outsider.id}").status_code == 400
    via_global = admin.post("/groups", json={"name": f"scoped-{uid()}", "organization": x["slug"]})
    assert via_global.status_code == 201 and via_global.json()["organization_id"] == x["id"]
    nowhere = admin.post("/groups", json={"name": f"nowhere-{uid()}", "organization": "no-such-org"})
    assert nowhere.status_code == 400
    assert admin.get(f"/organizations/{x['id']}/groups/{wide['id']}").status_code == 404  # not X's group


def test_an_organization_limited_client_manages_its_own_groups_only(idp):
    admin = admin_session(idp)
    a = admin.post("/organizations", json={"slug": f"ga-{uid()}", "name": "GA"}).json()
    b = admin.post("/organizations", json={"slug": f"gb-{uid()}", "name": "GB"}).json()
    b_group = admin.post(f"/organizations/{b['id']}/groups", json={"name": f"gb-{uid()}"}).json()
    limited = limited_session(idp, a["id"])
    mine = limited.post(f"/organizations/{a['id']}/groups", json={"name": f"ga-{uid()}"})
    assert mine.status_code == 201
    assert [g["id"] for g in limited.get(f"/organizations/{a['id']}/groups").json()["items"]] == [mine.json()["id"]]
    assert limited.get(f"/organizations/{b['id']}/groups").status_code == 404
    assert limited.get(f"/organizations/{a['id']}/groups/{b_group['id']}").status_code == 404
    assert limited.delete(f"/organizations/{b['id']}/groups/{b_group['id']}").status_code == 404
    assert limited.get(f"/groups/{b_group['id']}").status_code == 404  # deployment-wide routes: nothing
    assert admin.get(f"/organizations/{b['id']}/groups/{b_group['id']}").status_code == 200
