"""/admin/api/v1/apis and /admin/api/v1/groups end to end (issue 21), on both live servers (PostgreSQL +
Redis, and the embedded default): scopes, If-Match (428 / 412), problem details naming every wrong
field, 404 and 409, keyset pages across more items than a page holds, audit events with the actor,
and the registered API reaching the tokens (RFC 8707 `resource`, RFC 9068 `aud`); every answer below
500 (AdminSession asserts it)."""

from __future__ import annotations

import concurrent.futures

import pytest
import requests

from .admin_api import admin_session
from .apis_helpers import claims_of, token_request, uid

PROBLEM = "application/problem+json"


def error_names(response) -> set[str]:
    assert response.status_code == 400 and response.headers["Content-Type"] == PROBLEM, response.text
    return {error["name"] for error in response.json()["errors"]}


def problem_code(response, status: int) -> str:
    assert response.status_code == status and response.headers["Content-Type"] == PROBLEM, response.text
    return response.json()["code"]


def new_api(admin, **extra) -> dict:
    body = {"identifier": f"https://orders-{uid()}.example.com/", "name": "Orders",
            "scopes": {"orders:read": "Read your orders", "orders:write": "Change your orders"}, **extra}
    response = admin.post("/apis", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def new_group(admin, name: str | None = None) -> dict:
    response = admin.post("/groups", json={"name": name or f"team-{uid()}"})
    assert response.status_code == 201, response.text
    return response.json()


def every_page(admin, path: str, limit: int) -> list[dict]:
    items, cursor, pages = [], None, 0
    while True:
        page = admin.get(path, params={"limit": limit, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["items"]) <= limit
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def audited(idp, action: str, actor: str) -> list:
    return [e for e in idp.services.audit_events.list(action=action, limit=500) if e.actor == actor]


def test_reading_needs_admin_read_and_writing_admin_write_rfc6750_3_1(idp):
    reader = admin_session(idp, scope="admin:read")
    writer = admin_session(idp)
    api, group = new_api(writer), new_group(writer)
    for path in ("/apis", f"/apis/{api['id']}", f"/apis/{api['id']}/roles", f"/apis/{api['id']}/clients",
                 "/groups", f"/groups/{group['id']}", f"/groups/{group['id']}/members"):
        assert reader.get(path).status_code == 200, path
    user = idp.create_user()
    for response in (reader.post("/apis", json={"identifier": "https://x.example/", "name": "x"}),
                     reader.patch(f"/apis/{api['id']}", json={"name": "y"}, headers={"If-Match": "*"}),
                     reader.delete(f"/apis/{api['id']}", headers={"If-Match": "*"}),
                     reader.post(f"/apis/{api['id']}/roles", json={"name": "r"}),
                     reader.request("PUT", f"/apis/{api['id']}/clients/{reader.client_id}"),
                     reader.post("/groups", json={"name": f"g-{uid()}"}),
                     reader.request("PUT", f"/groups/{group['id']}/members/{user.id}"),
                     reader.request("PUT", f"/groups/{group['id']}/groups/{group['id']}")):
        assert problem_code(response, 403) == "insufficient_scope"
        assert 'scope="admin:write"' in response.headers["WWW-Authenticate"]
    assert writer.get(f"/apis/{api['id']}").json() == api  # nothing the reader sent changed anything
    anonymous = requests.get(idp.endpoint("/admin/api/v1/apis"), timeout=10)
    assert anonymous.status_code == 401 and anonymous.headers["Content-Type"] == PROBLEM


def test_an_api_registered_over_http_is_the_aud_of_its_tokens_rfc8707_rfc9068(idp):
    """The identifier is the RFC 8707 `resource` and the RFC 9068 `aud`; a client gets tokens for it only
    once PUT /apis/{id}/clients/{client_id} allowed it, and no longer after DELETE."""
    admin = admin_session(idp)
    ident = f"https://orders-{uid()}.example.com/"
    response = admin.post("/apis", json={"identifier": ident, "name": " Orders ", "scopes": {"orders:read": "Read"},
                                         "access_token_ttl": 120, "dpop_only": False})
    assert response.status_code == 201, response.text
    api = response.json()
    assert api == {"id": api["id"], "identifier": ident, "name": "Orders", "scopes": {"orders:read": "Read"},
                   "role_scopes": [], "access_token_ttl": 120, "dpop_only": False, "resource_server": None,
                   "claim_mappings": []}
    assert response.headers["Location"].endswith(f"/admin/api/v1/apis/{api['id']}")
    read = admin.get(f"/apis/{api['id']}")
    assert read.json() == api and read.headers["ETag"] == response.headers["ETag"]
    assert idp.services.apis.api(ident).name == "Orders"
    assert [e.details["api"] for e in audited(idp, "api.created", f"client:{admin.client_id}")] == [ident]

    service, secret = idp.create_client(name="Batch", redirect_uris=[], grant_types=["client_credentials"], scope="")
    auth = (service.client_id, secret)
    assert token_request(idp, auth, [ident], grant_type="client_credentials").json()["error"] == "invalid_target"
    allowed = admin.request("PUT", f"/apis/{api['id']}/clients/{service.client_id}", json={"scopes": ["orders:read"]})
    assert allowed.status_code == 200, allowed.text
    assert allowed.json() == {"client_id": service.client_id, "scopes": ["orders:read"], "default": False}
    token = token_request(idp, auth, [ident], grant_type="client_credentials", scope="orders:read")
    assert token.status_code == 200, token.text
    claims = claims_of(token.json()["access_token"])
    assert claims["aud"] == ident and claims["scope"] == "orders:read" and token.json()["expires_in"] == 120
    assert admin.get(f"/apis/{api['id']}/clients").json() == {"items": [allowed.json()], "next_cursor": None}
    assert admin.delete(f"/apis/{api['id']}/clients/{service.client_id}").status_code == 204
    assert problem_code(admin.delete(f"/apis/{api['id']}/clients/{service.client_id}"), 404) == "not_found"
    assert token_request(idp, auth, [ident], grant_type="client_credentials").json()["error"] == "invalid_target"
    actor = f"client:{admin.client_id}"
    assert [e.client_id for e in audited(idp, "api.client_allowed", actor)] == [service.client_id]
    assert [e.client_id for e in audited(idp, "api.client_disallowed", actor)] == [service.client_id]


def test_every_bad_input_is_a_problem_naming_the_field_never_a_500(idp):
    admin = admin_session(idp)
    api = new_api(admin)
    assert error_names(admin.post("/apis", json={"identifier": "orders", "name": "x"})) == {"identifier"}
    for bad in ("https://api.example.com/x#fragment", "https://[::1", "urn", "https://" + "a" * 520, "https://\ud800/"):
        assert error_names(admin.post("/apis", json={"identifier": bad, "name": "x"})) == {"identifier"}, bad
    body = {"identifier": f"https://{uid()}.example.com/", "name": 7, "scopes": ["a"], "access_token_ttl": True,
            "dpop_only": "yes", "colour": "red", "resource_server": 3}
    assert error_names(admin.post("/apis", json=body)) == {"name", "scopes", "access_token_ttl", "dpop_only",
                                                          "colour", "resource_server"}
    fresh = f"https://{uid()}.example.com/"
    for field, value in (("scopes", {"has space": ""}), ("scopes", {'quo"te': ""}), ("name", ""), ("name", "n" * 256),
                         ("access_token_ttl", 0), ("access_token_ttl", 2**40), ("role_scopes", ["nowhere:x"]),
                         ("resource_server", "no-such-client"), ("name", "\ud800")):
        response = admin.post("/apis", json={"identifier": fresh, "name": "x", field: value})
        assert error_names(response) == {field}, (field, value)
    assert error_names(admin.post("/apis", json={"name": "x"})) == {"identifier"}
    assert admin.post("/apis", data="identifier=x", headers={"Content-Type": "text/plain"}).status_code == 415
    duplicate = admin.post("/apis", json={"identifier": api["identifier"], "name": "again"})
    assert problem_code(duplicate, 409) == "duplicate" and duplicate.json()["errors"][0]["name"] == "identifier"
    for response in (admin.get("/apis/nope"), admin.patch("/apis/nope", json={}, headers={"If-Match": '"x"'}),
                     admin.delete("/apis/nope", headers={"If-Match": '"x"'}), admin.get("/apis/nope/roles"),
                     admin.get("/apis/nope/clients"), admin.request("PUT", "/apis/nope/clients/x"),
                     admin.request("PUT", f"/apis/{api['id']}/clients/no-such-client"),
                     admin.get("/groups/nope"), admin.get("/groups/nope/members")):
        assert problem_code(response, 404) == "not_found", response.request.url
    put = admin.request("PUT", f"/apis/{api['id']}/clients/{admin.client_id}", json={"scopes": ["x:y"], "default": 1})
    assert error_names(put) == {"default"}
    put = admin.request("PUT", f"/apis/{api['id']}/clients/{admin.client_id}", json={"scopes": ["x:y"]})
    assert error_names(put) == {"scopes"}  # RFC 8707: only scopes the API defines
    for params in ({"limit": "0"}, {"limit": "501"}, {"cursor": "!!"}, {"cursor": "WzFd"}):  # WzFd: [1]
        assert error_names(admin.get("/apis", params=params)) == set(params), params
    assert error_names(admin.post("/groups", json={"name": ""})) == {"name"}
    assert error_names(admin.post("/groups", json={"name": "g", "members": []})) == {"members"}


def test_changes_need_the_version_read_if_match_rfc9110_13_1_1(idp):
    admin = admin_session(idp)
    api = new_api(admin)
    path = f"/apis/{api['id']}"
    etag = admin.get(path).headers["ETag"]
    assert problem_code(admin.patch(path, json={"name": "Orders v2"}), 428) == "precondition_required"
    changed = admin.patch(path, json={"name": "Orders v2", "scopes": {"orders:read": "Read", "orders:ship": "Ship"},
                                      "role_scopes": ["orders:ship"]}, headers={"If-Match": etag})
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Orders v2" and changed.json()["role_scopes"] == ["orders:ship"]
    assert changed.headers["ETag"] != etag and admin.get(path).headers["ETag"] == changed.headers["ETag"]
    stale = admin.patch(path, json={"name": "lost update"}, headers={"If-Match": etag})
    assert problem_code(stale, 412) == "precondition_failed"
    assert problem_code(admin.delete(path, headers={"If-Match": etag}), 412) == "precondition_failed"
    assert problem_code(admin.patch(path, json={}, headers={"If-Match": "*"}), 412) == "precondition_failed"
    etag = changed.headers["ETag"]
    role = admin.post(f"{path}/roles", json={"name": "shipper", "scopes": ["orders:ship"]})
    assert role.status_code == 201, role.text
    # a scope a role still grants cannot be taken from the API: no dangling role
    assert error_names(admin.patch(path, json={"scopes": {"orders:read": ""}}, headers={"If-Match": etag})) \
        == {"scopes"}
    other = new_api(admin)
    taken = admin.patch(path, json={"identifier": other["identifier"]}, headers={"If-Match": etag})
    assert problem_code(taken, 409) == "duplicate"
    assert admin.get(path).headers["ETag"] == etag  # a refused request changes nothing
    assert admin.delete(path, headers={"If-Match": etag}).status_code == 204
    assert problem_code(admin.get(path), 404) == "not_found"
    assert idp.services.apis.roles(api["identifier"]) == []  # its roles went with it
    actor = f"client:{admin.client_id}"
    updated = [e for e in audited(idp, "api.updated", actor) if e.details["api_id"] == api["id"]]
    assert [e.details["changed"] for e in updated] == [["name", "role_scopes", "scopes"]]
    assert [e.details["api_id"] for e in audited(idp, "api.deleted", actor)] == [api["id"]]


def test_concurrent_changes_of_one_version_exactly_one_wins(idp):
    """The PATCH is compare-and-set on the row version: no lost update (RFC 9110 13.1.1)."""
    admin = admin_session(idp)
    api = new_api(admin)
    path = f"/apis/{api['id']}"
    tag = admin.get(path).headers["ETag"]
    names = [f"writer {n}" for n in range(6)]
    with concurrent.futures.ThreadPoolExecutor(len(names)) as pool:
        statuses = list(pool.map(lambda name: admin.patch(path, json={"name": name},
                                                          headers={"If-Match": tag}).status_code, names))
    assert sorted(statuses) == [200] + [412] * (len(names) - 1), statuses
    assert admin.get(path).json()["name"] in names


def test_lists_are_keyset_pages_across_more_items_than_a_page(idp):
    admin = admin_session(idp)
    prefix = f"https://page-{uid()}.example.com/"
    made = [new_api(admin, identifier=f"{prefix}{n}")["identifier"] for n in range(5)]
    listed = [api["identifier"] for api in every_page(admin, "/apis", 2)]
    assert len(listed) == len(set(listed)) and listed == sorted(listed)
    assert [ident for ident in listed if ident.startswith(prefix)] == made
    api = new_api(admin)
    for name in ("c", "a", "b"):
        assert admin.post(f"/apis/{api['id']}/roles", json={"name": name}).status_code == 201
    assert [r["name"] for r in every_page(admin, f"/apis/{api['id']}/roles", 2)] == ["a", "b", "c"]
    clients = sorted(idp.create_client(name="c", redirect_uris=[], grant_types=["client_credentials"],
                                       scope="")[0].client_id for _ in range(3))
    for client_id in clients:
        assert admin.request("PUT", f"/apis/{api['id']}/clients/{client_id}").status_code == 200
    assert [c["client_id"] for c in every_page(admin, f"/apis/{api['id']}/clients", 2)] == clients
    group = new_group(admin)
    users = sorted((idp.create_user() for _ in range(3)), key=lambda u: u.id)
    for user in users:
        assert admin.request("PUT", f"/groups/{group['id']}/members/{user.id}").status_code == 204
    assert every_page(admin, f"/groups/{group['id']}/members", 2) == [
        {"user_id": u.id, "email": u.email} for u in users]
    children = sorted((new_group(admin) for _ in range(3)), key=lambda child: child["name"])
    for child in children:
        assert admin.request("PUT", f"/groups/{group['id']}/groups/{child['id']}").status_code == 204
    assert every_page(admin, f"/groups/{group['id']}/groups", 2) == children
    assert problem_code(admin.get("/groups/nope/groups"), 404) == "not_found"
    names = [g["name"] for g in every_page(admin, "/groups", 2)]
    assert names == sorted(names) and group["name"] in names


def test_roles_of_an_api_are_added_and_removed_rfc9068_2_2_3_1(idp):
    admin = admin_session(idp)
    api = new_api(admin)
    roles = f"/apis/{api['id']}/roles"
    created = admin.post(roles, json={"name": "orders-admin", "scopes": ["orders:read", "orders:write"],
                                      "description": "Runs the shop"})
    assert created.status_code == 201, created.text
    assert created.json() == {"id": created.json()["id"], "name": "orders-admin",
                              "scopes": ["orders:read", "orders:write"], "description": "Runs the shop"}
    assert problem_code(admin.post(roles, json={"name": "orders-admin"}), 409) == "duplicate"
    assert error_names(admin.post(roles, json={"name": "x", "scopes": ["billing:read"]})) == {"scopes"}
    assert error_names(admin.post(roles, json={"scopes": []})) == {"name"}
    assert admin.delete(f"{roles}/orders-admin").status_code == 204
    assert problem_code(admin.delete(f"{roles}/orders-admin"), 404) == "not_found"
    actor = f"client:{admin.client_id}"
    assert [e.details["role"] for e in audited(idp, "role.created", actor)
            if e.details["api"] == api["identifier"]] == ["orders-admin"]
    assert [e.details["role"] for e in audited(idp, "role.deleted", actor)
            if e.details["api"] == api["identifier"]] == ["orders-admin"]


def test_groups_members_and_nested_groups_without_loops(idp):
    admin = admin_session(idp)
    outer, inner = new_group(admin), new_group(admin)
    assert problem_code(admin.post("/groups", json={"name": outer["name"]}), 409) == "duplicate"
    read = admin.get(f"/groups/{outer['id']}")
    assert read.json() == outer and read.headers["ETag"]
    user = idp.create_user()
    member = f"/groups/{inner['id']}/members/{user.id}"
    assert admin.request("PUT", member).status_code == 204
    assert admin.request("PUT", member).status_code == 204  # again: no change
    assert problem_code(admin.request("PUT", f"/groups/{inner['id']}/members/nobody"), 404) == "not_found"
    nested = f"/groups/{outer['id']}/groups/{inner['id']}"
    assert admin.request("PUT", nested).status_code == 204
    assert error_names(admin.request("PUT", f"/groups/{inner['id']}/groups/{outer['id']}")) == {"child_id"}  # loop
    assert error_names(admin.request("PUT", f"/groups/{outer['id']}/groups/{outer['id']}")) == {"child_id"}
    assert problem_code(admin.request("PUT", f"/groups/{outer['id']}/groups/nope"), 404) == "not_found"
    groups, _ = idp.services.apis.memberships(user.id)
    assert groups == sorted([outer["name"], inner["name"]])  # the member of inner is in outer too
    assert admin.delete(nested).status_code == 204
    assert problem_code(admin.delete(nested), 404) == "not_found"
    assert idp.services.apis.memberships(user.id)[0] == [inner["name"]]
    assert admin.delete(member).status_code == 204
    assert problem_code(admin.delete(member), 404) == "not_found"
    assert admin.get(f"/groups/{inner['id']}/members").json() == {"items": [], "next_cursor": None}
    path = f"/groups/{inner['id']}"
    assert problem_code(admin.delete(path), 428) == "precondition_required"
    assert problem_code(admin.delete(path, headers={"If-Match": '"old"'}), 412) == "precondition_failed"
    assert admin.delete(path, headers={"If-Match": admin.get(path).headers["ETag"]}).status_code == 204
    assert problem_code(admin.get(path), 404) == "not_found"
    actor = f"client:{admin.client_id}"
    added = [e for e in audited(idp, "group.member_added", actor) if e.details["group"] == inner["name"]]
    assert [e.user_id for e in added] == [user.id, user.id]
    removed = audited(idp, "group.member_removed", actor)  # newest first
    assert [(e.details["group"], e.details.get("member_group")) for e in removed] == [
        (inner["name"], None), (outer["name"], inner["name"])]
    assert [e.details["group_id"] for e in audited(idp, "group.deleted", actor)] == [inner["id"]]


def test_roles_are_given_to_users_and_groups_and_reach_the_effective_roles_rfc9068_2_2_3_1(idp):
    """What the next token for the API carries in `roles` (idp/apis/authorization.py reads it)."""
    admin = admin_session(idp)
    api = new_api(admin)
    role = f"/apis/{api['id']}/roles/reader"
    assert admin.post(f"/apis/{api['id']}/roles", json={"name": "reader", "scopes": ["orders:read"]}).status_code \
        == 201
    assert error_names(admin.post(f"/apis/{api['id']}/roles", json={"name": "a/b"})) == {"name"}
    user, member = idp.create_user(), idp.create_user()
    group = new_group(admin)
    assert admin.request("PUT", f"/groups/{group['id']}/members/{member.id}").status_code == 204
    assert admin.request("PUT", f"{role}/users/{user.id}").status_code == 204
    assert admin.request("PUT", f"{role}/groups/{group['id']}").status_code == 204
    for who in (user, member):
        assert [r.name for r in idp.services.apis.memberships(who.id)[1][api["identifier"]]] == ["reader"]
    for path in (f"{role}/users/nobody", f"{role}/groups/nope", f"/apis/{api['id']}/roles/none/users/{user.id}"):
        assert problem_code(admin.request("PUT", path), 404) == "not_found", path
    assert admin.delete(f"{role}/groups/{group['id']}").status_code == 204
    assert problem_code(admin.delete(f"{role}/groups/{group['id']}"), 404) == "not_found"
    assert idp.services.apis.memberships(member.id)[1] == {}
    assert admin.delete(f"{role}/users/{user.id}").status_code == 204
    assert idp.services.apis.memberships(user.id)[1] == {}
    actor = f"client:{admin.client_id}"
    assert [(e.user_id, e.details["group"]) for e in audited(idp, "role.assigned", actor)] == [
        (None, group["name"]), (user.id, None)]  # newest first
    assert len(audited(idp, "role.unassigned", actor)) == 2


def test_names_and_ids_holding_nul_name_nothing_in_the_services(idp):
    """PostgreSQL refuses NUL in text: the services answer 'not found', never a database error
    (the admin API's framework and the console refuse such input before; the CLI relies on this)."""
    from idp.administration.apis import ApiAdmin
    from idp.administration.errors import NotFound
    from idp.administration.groups import GroupAdmin

    for lookup in (lambda: ApiAdmin(idp.services).get("a\0b"), lambda: ApiAdmin(idp.services).by_identifier("x\0"),
                   lambda: GroupAdmin(idp.services).get("a\0b"), lambda: GroupAdmin(idp.services).by_name("a\0")):
        with pytest.raises(NotFound):
            lookup()
