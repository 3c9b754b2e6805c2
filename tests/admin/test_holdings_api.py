"""Who holds what on the admin API (issue 34), on both live servers: a user's effective roles with
their sources (direct, or through a group, nested groups included: RFC 9068 2.2.3.1 `roles` and
`groups` as the next token carries them), a group's roles, a role's holders a keyset page at a
time, and ?q= substring search of users, clients, APIs and groups with a capped count."""

from __future__ import annotations

from tests.admin_api import admin_session
from tests.apis_helpers import uid
from tests.test_admin_api_apis import every_page, new_api, new_group, problem_code


def assign(admin, api, role, *, user=None, group=None):
    path = f"/apis/{api['id']}/roles/{role}/" + (f"users/{user.id}" if user else f"groups/{group['id']}")
    assert admin.put(path).status_code == 204


def test_a_users_effective_roles_name_their_sources_rfc9068_2_2_3_1(idp):
    admin = admin_session(idp)
    api = new_api(admin)
    for role in ("reader", "writer", "auditor"):
        assert admin.post(f"/apis/{api['id']}/roles", json={"name": role}).status_code == 201
    outer, inner = new_group(admin), new_group(admin)
    assert admin.put(f"/groups/{outer['id']}/groups/{inner['id']}").status_code == 204  # inner inside outer
    user, other = idp.create_user(), idp.create_user()
    assert admin.put(f"/groups/{inner['id']}/members/{user.id}").status_code == 204
    assign(admin, api, "reader", user=user)
    assign(admin, api, "reader", group=outer)
    assign(admin, api, "writer", group=inner)

    roles = admin.get(f"/users/{user.id}/roles").json()
    by_role = {item["role"]: item for item in roles["items"]}
    assert set(by_role) == {"reader", "writer"} and roles["next_cursor"] is None
    assert by_role["reader"]["api"] == api["identifier"]
    assert by_role["reader"]["sources"] == [
        {"kind": "direct"},
        {"kind": "group", "group": outer["name"], "group_id": outer["id"], "via": [inner["name"]]}]
    assert by_role["writer"]["sources"] == [{"kind": "group", "group": inner["name"], "group_id": inner["id"],
                                             "via": []}]
    # What the page says is what the token carries (the authorization service's own resolution).
    names, token_roles = idp.services.apis.memberships(user.id)
    assert sorted(r.name for r in token_roles[api["identifier"]]) == sorted(by_role)
    assert {g["name"] for g in admin.get(f"/users/{user.id}/groups").json()["items"]} == set(names)
    groups = {g["name"]: g for g in admin.get(f"/users/{user.id}/groups").json()["items"]}
    assert groups[inner["name"]]["direct"] and groups[outer["name"]]["via"] == [inner["name"]]
    assert admin.get(f"/users/{other.id}/roles").json() == {"items": [], "next_cursor": None}

    group_roles = admin.get(f"/groups/{inner['id']}/roles").json()["items"]
    assert {(r["role"], r["sources"][0].get("group")) for r in group_roles} == {
        ("writer", None), ("reader", outer["name"])}
    assert [g["name"] for g in admin.get(f"/groups/{inner['id']}/parents").json()["items"]] == [outer["name"]]

    # A page at a time: one role per page, the cursor carries on.
    first = admin.get(f"/users/{user.id}/roles", params={"limit": 1}).json()
    second = admin.get(f"/users/{user.id}/roles", params={"limit": 1, "cursor": first["next_cursor"]}).json()
    assert [first["items"][0]["role"], second["items"][0]["role"]] == ["reader", "writer"]
    assert second["next_cursor"] is None


def test_a_roles_holders_directly_and_through_nested_groups_page_by_page(idp):
    admin = admin_session(idp)
    api = new_api(admin)
    assert admin.post(f"/apis/{api['id']}/roles", json={"name": "viewer"}).status_code == 201
    outer, inner = new_group(admin), new_group(admin)
    assert admin.put(f"/groups/{outer['id']}/groups/{inner['id']}").status_code == 204
    direct = [idp.create_user() for _ in range(3)]
    nested = [idp.create_user() for _ in range(4)]
    both = idp.create_user()
    for user in direct + [both]:
        assign(admin, api, "viewer", user=user)
    for user in nested + [both]:
        assert admin.put(f"/groups/{inner['id']}/members/{user.id}").status_code == 204
    assign(admin, api, "viewer", group=outer)

    holders = every_page(admin, f"/apis/{api['id']}/roles/viewer/holders", 3)
    assert [h["user_id"] for h in holders] == sorted(u.id for u in direct + nested + [both])
    by_id = {h["user_id"]: h for h in holders}
    assert all(by_id[u.id]["direct"] and by_id[u.id]["groups"] == [] for u in direct)
    assert all(not by_id[u.id]["direct"] and by_id[u.id]["groups"] == [outer["name"]] for u in nested)
    assert by_id[both.id]["direct"] and by_id[both.id]["groups"] == [outer["name"]]
    assert by_id[both.id]["email"] == both.email
    assert [g["name"] for g in admin.get(f"/apis/{api['id']}/roles/viewer/groups").json()["items"]] == \
        [outer["name"]]

    assert problem_code(admin.get(f"/apis/{api['id']}/roles/nobody/holders"), 404) == "not_found"
    assert problem_code(admin.get("/apis/nope/roles/viewer/holders"), 404) == "not_found"
    assert problem_code(admin.get(f"/users/{'x' * 40}/roles"), 404) == "not_found"
    bad = admin.get(f"/apis/{api['id']}/roles/viewer/holders", params={"cursor": "bm90LWEtY3Vyc29y"})
    assert bad.status_code == 400


def test_q_finds_users_clients_apis_and_groups_by_any_part_of_their_names(idp):
    admin = admin_session(idp)
    mark = uid()
    user = idp.create_user(email=f"someone.{mark}@example.com", name=f"Grace {mark.upper()} Hopper")
    client, _ = idp.create_client(name=f"Billing {mark} portal")
    api = new_api(admin, name=f"Orders {mark} service")
    group = new_group(admin, f"team-{mark}-ops")

    for path, key, expected in (("/users", "id", user.id), ("/clients", "client_id", client.client_id),
                                ("/apis", "id", api["id"]), ("/groups", "id", group["id"])):
        found = admin.get(path, params={"q": mark.upper()}).json()
        assert [item[key] for item in found["items"]] == [expected], path
        assert found["count"] == 1 and found["count_capped"] is False
        assert "count" not in admin.get(path, params={"limit": 1}).json()  # no search: no whole-table count
        assert admin.get(path, params={"q": f"{mark}%"}).json()["items"] == []  # % is a character, not a wildcard
        assert admin.get(path, params={"q": "x" * 321}).status_code == 400
    assert admin.get("/users", params={"q": "Grace " + mark}).json()["items"][0]["id"] == user.id
    narrowed = admin.get("/users", params={"q": mark, "disabled": "false"}).json()
    assert [u["id"] for u in narrowed["items"]] == [user.id] and "count" not in narrowed  # it would count q alone
