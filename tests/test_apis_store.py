"""Registered APIs, groups and roles (issue 21): storage rules and the cached resolution that
token issuance reads, on both backends."""

import uuid

import pytest

from idp.apis.authorization import Authorization
from idp.store.apis import ApiRegistry, Invalid, NotFound


def uid() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture
def registry(idp):
    return ApiRegistry(idp.services.db)


def test_api_identifier_must_be_absolute_uri_rfc8707_2(registry):
    with pytest.raises(Invalid):
        registry.create_api("orders", "Orders")
    with pytest.raises(Invalid):
        registry.create_api("https://api.example.com/x#frag", "Orders")


def test_role_scopes_must_be_defined_by_its_api(registry):
    ident = f"https://api.example.com/{uid()}"
    registry.create_api(ident, "Orders", {"orders:read": "Read orders"})
    with pytest.raises(Invalid):
        registry.create_role(ident, "admin", ["orders:write"])
    with pytest.raises(NotFound):
        registry.create_role("https://nowhere.example/", "admin", [])


def test_nested_groups_resolve_and_loops_are_refused(idp, registry):
    user = idp.create_user()
    outer, middle, inner = f"outer-{uid()}", f"middle-{uid()}", f"inner-{uid()}"
    for name in (outer, middle, inner):
        registry.create_group(name)
    registry.add_member(outer, member_group=middle)
    registry.add_member(middle, member_group=inner)
    registry.add_member(inner, user_id=user.id)
    with pytest.raises(Invalid):
        registry.add_member(inner, member_group=outer)  # outer already contains inner
    ident = f"https://api.example.com/{uid()}"
    registry.create_api(ident, "Orders", {"orders:read": "Read", "orders:write": "Write"})
    registry.create_role(ident, "orders-admin", ["orders:read", "orders:write"])
    registry.assign(ident, "orders-admin", group=outer)
    groups, roles = registry.memberships(user.id)
    assert groups == sorted([outer, middle, inner])
    assert [r.name for r in roles[ident]] == ["orders-admin"]


def test_deleting_an_api_leaves_no_roles_or_assignments(idp, registry):
    user = idp.create_user()
    ident = f"https://api.example.com/{uid()}"
    registry.create_api(ident, "Orders", {"orders:read": "Read"})
    registry.create_role(ident, "reader", ["orders:read"])
    registry.assign(ident, "reader", user_id=user.id)
    assert registry.delete_api(ident)
    assert registry.memberships(user.id) == ([], {})
    assert registry.roles(ident) == []


def test_a_change_reaches_the_next_resolution_on_another_replica(idp):
    """Two services on the same database and shared store stand for two replicas."""
    first = Authorization(ApiRegistry(idp.services.db), idp.services.store)
    second = Authorization(ApiRegistry(idp.services.db), idp.services.store)
    user = idp.create_user()
    ident = f"https://api.example.com/{uid()}"
    group = f"team-{uid()}"
    first.registry.create_api(ident, "Orders", {"orders:read": "Read"})
    first.registry.create_role(ident, "reader", ["orders:read"])
    first.registry.create_group(group)
    first.registry.add_member(group, user_id=user.id)
    assert second.effective(user.id) == ([group], {})  # cached on the second replica
    first.registry.assign(ident, "reader", group=group)
    assert second.effective(user.id) == ([group], {ident: [{"name": "reader", "scopes": ["orders:read"]}]})


def test_admin_pages_and_changes_of_the_registry(idp, registry):
    """update_api is compare-and-set on the row version; an API's clients and a group's members are keyset
    pages; a nested group comes out again; disallowing is reported."""
    from idp.store.errors import StaleVersion

    ident = f"https://api.example.com/{uid()}"
    api = registry.create_api(ident, "Orders", {"orders:read": "Read"})
    changed = registry.update_api(api.id, api.version, name="Orders v2", scopes={"orders:read": "", "orders:x": ""})
    assert (changed.name, changed.version) == ("Orders v2", api.version + 1)
    with pytest.raises(StaleVersion):
        registry.update_api(api.id, api.version, name="lost")
    with pytest.raises(Invalid):
        registry.update_api(api.id, changed.version, role_scopes=["orders:none"])
    assert registry.update_api("no-such-id", 1, name="x") is None
    clients = sorted(idp.create_client(name="c", redirect_uris=[], grant_types=["client_credentials"],
                                       scope="")[0].client_id for _ in range(3))
    for client_id in clients:
        registry.allow(ident, client_id)
    first = registry.clients_of(api.id, limit=2)
    rest = registry.clients_of(api.id, after=first[-1].client_id, limit=2)
    assert [a.client_id for a in first + rest] == clients
    assert registry.disallow(ident, clients[0]) and not registry.disallow(ident, clients[0])
    group, child = f"g-{uid()}", f"c-{uid()}"
    registry.create_group(group)
    registry.create_group(child)
    users = sorted((idp.create_user() for _ in range(3)), key=lambda u: u.id)
    for user in users:
        registry.add_member(group, user_id=user.id)
    first = registry.members(group, limit=2)
    assert first + registry.members(group, after=first[-1][0], limit=2) == [(u.id, u.email) for u in users]
    registry.add_member(group, member_group=child)
    assert registry.remove_member(group, member_group=child) and not registry.remove_member(group, member_group=child)
    with pytest.raises(NotFound):
        registry.members("no-such-group")
    assert registry.group_by_id(registry.group_named(group)[0]) == registry.group_named(group)
    with pytest.raises(StaleVersion):
        registry.delete_api(ident, version=api.version)
    assert registry.delete_api(ident, version=changed.version)
