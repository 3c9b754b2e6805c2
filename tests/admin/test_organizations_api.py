"""/admin/api/v1/organizations end to end on both live servers (issue 33): CRUD with If-Match (428 /
412), problem details naming every wrong field, keyset pages, members and their roles in the
organization, audit events carrying the organization; every answer below 500 (AdminSession asserts it)."""

from __future__ import annotations

from tests.admin_api import admin_session
from tests.apis_helpers import uid

PROBLEM = "application/problem+json"


def new_org(admin, **extra) -> dict:
    response = admin.post("/organizations", json={"slug": f"acme-{uid()}", "name": "Acme Inc.", **extra})
    assert response.status_code == 201, response.text
    assert response.headers["ETag"] and response.headers["Location"].endswith(response.json()["id"])
    return response.json()


def new_api_with_role(idp, role="orders-admin"):
    identifier = f"https://orders-{uid()}.example.com/"
    idp.services.apis.create_api(identifier, "Orders", {"orders:read": "r", "orders:write": "w"})
    idp.services.apis.create_role(identifier, role, ["orders:write"])
    return identifier


def test_organization_crud_with_etag_and_if_match_rfc9110_13_1_1(idp):
    admin = admin_session(idp)
    org = new_org(admin, branding={"primary_color": "#AA0000", "logo_url": "https://cdn.example.com/a.png"})
    assert org["branding"] == {"primary_color": "#aa0000", "logo_url": "https://cdn.example.com/a.png",
                               "background_color": None, "display_name": None}
    by_slug = admin.get(f"/organizations/{org['slug']}")
    assert by_slug.status_code == 200 and by_slug.json()["id"] == org["id"]
    etag = by_slug.headers["ETag"]
    assert admin.patch(f"/organizations/{org['id']}", json={"name": "Acme"}).status_code == 428
    assert admin.patch(f"/organizations/{org['id']}", json={"name": "Acme"},
                       headers={"If-Match": '"stale"'}).status_code == 412
    changed = admin.patch(f"/organizations/{org['id']}", json={"name": "Acme"}, headers={"If-Match": etag})
    assert changed.status_code == 200 and changed.json()["name"] == "Acme" and changed.headers["ETag"] != etag
    assert admin.delete(f"/organizations/{org['id']}", headers={"If-Match": etag}).status_code == 412
    assert admin.delete(f"/organizations/{org['id']}", headers={"If-Match": changed.headers["ETag"]}).status_code == 204
    gone = admin.get(f"/organizations/{org['id']}")
    assert gone.status_code == 404 and gone.headers["Content-Type"] == PROBLEM


def test_bad_organization_fields_are_each_named_rfc9457(idp):
    admin = admin_session(idp)
    response = admin.post("/organizations", json={"slug": "acme", "name": "Acme", "colour": 1})
    assert response.status_code == 400 and response.headers["Content-Type"] == PROBLEM
    assert {e["name"] for e in response.json()["errors"]} == {"colour"}
    response = admin.post("/organizations", json={"slug": "Not A Slug", "name": "",
                                                  "branding": {"logo_url": "javascript:alert(1)",
                                                               "primary_color": "red", "font": "x"}})
    assert {e["name"] for e in response.json()["errors"]} == {
        "slug", "name", "branding.logo_url", "branding.primary_color", "branding.font"}
    org = new_org(admin)
    duplicate = admin.post("/organizations", json={"slug": org["slug"], "name": "Again"})
    assert duplicate.status_code == 409 and duplicate.headers["Content-Type"] == PROBLEM


def test_organizations_and_members_are_keyset_pages(idp):
    admin = admin_session(idp)
    prefix = f"page-{uid()}"
    for n in range(5):
        admin.post("/organizations", json={"slug": f"{prefix}-{n}", "name": f"Org {n}"})
    slugs, cursor = [], None
    while True:
        page = admin.get("/organizations", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        assert len(page["items"]) <= 2
        slugs += [o["slug"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert slugs == sorted(slugs) and [s for s in slugs if s.startswith(prefix)] == [f"{prefix}-{n}" for n in range(5)]
    org = new_org(admin)
    users = sorted(idp.create_user().id for _ in range(5))
    for user_id in users:
        assert admin.put(f"/organizations/{org['id']}/members/{user_id}").status_code == 200
    assert admin.put(f"/organizations/{org['id']}/members/{users[0]}").status_code == 200  # again: no change
    seen, cursor = [], None
    while True:
        page = admin.get(f"/organizations/{org['id']}/members",
                         params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [m["user_id"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == users
    assert admin.get("/organizations", params={"cursor": "!!"}).status_code == 400


def test_member_roles_are_replaced_and_audited_with_the_organization(idp):
    admin = admin_session(idp)
    org = new_org(admin)
    api = new_api_with_role(idp)
    user = idp.create_user()
    path = f"/organizations/{org['id']}/members/{user.id}"
    assert admin.put(path + "/roles", json={"roles": []}).status_code == 404  # not a member yet
    assert admin.put(f"/organizations/{org['id']}/members/not-a-user").status_code == 404
    assert admin.put(path).status_code == 200
    roles = [{"api": api, "name": "orders-admin"}, {"api": None, "name": "org:admin"}]
    response = admin.put(path + "/roles", json={"roles": roles})
    assert response.status_code == 200, response.text
    assert sorted(response.json()["items"], key=str) == sorted(roles, key=str)
    assert admin.get(path).json()["roles"] == response.json()["items"]
    bad = admin.put(path + "/roles", json={"roles": [{"api": api, "name": "no-such-role"}]})
    assert bad.status_code == 400 and [e["name"] for e in bad.json()["errors"]] == ["roles"]
    assert admin.put(path + "/roles", json={"roles": [{"api": None, "name": "owner"}]}).status_code == 400
    assert admin.get(path + "/roles").json()["items"] == response.json()["items"]  # unchanged by the refusals
    assert admin.delete(path).status_code == 204
    assert admin.delete(path).status_code == 404
    events = [e for e in idp.services.audit_events.list(action="organization.roles_set", limit=500)
              if e.actor == f"client:{admin.client_id}"]
    assert events and events[0].details["organization_id"] == org["id"]
