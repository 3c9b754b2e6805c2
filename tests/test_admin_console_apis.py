"""The console's pages for registered APIs, their roles and allowed clients, and groups (issue 21),
on real PostgreSQL: each page, each refusal (CSRF, bad input as a 400 page, unknown ids 404, taken
names, group loops, a change made meanwhile 409), confirmation before every removal, audit events
naming the administrator, and a role assigned here reaching a token's `roles` (RFC 9068 2.2.3.1)."""

from __future__ import annotations

import html
import re

import pytest

from .admin_console_flows import enter_console, make_admin, post_form
from .apis_helpers import claims_of, code_flow, rp_client, two_apis, uid
from .conftest import Browser, hidden_fields, start_idp


@pytest.fixture(scope="module")
def idp(tmp_path_factory, mailbox):
    live, stop = start_idp("postgres", tmp_path_factory, mailbox)
    yield live
    stop()


@pytest.fixture(scope="module")
def console(idp):
    """A browser signed in to the console, and its administrator."""
    admin, secret = make_admin(idp)
    browser = Browser(idp)
    assert enter_console(browser, admin, secret).status_code == 200
    return browser, admin


def last_event(idp, action: str):
    return idp.services.audit_events.list(action=action, limit=1)[0]


def confirm(browser, path: str, asked):
    """The confirmation page's own form, posted again with confirmed=yes."""
    assert asked.status_code == 200 and 'name="confirmed" value="yes"' in asked.text, asked.text[:400]
    return browser.go(browser.idp.endpoint(path), "POST", hidden_fields(asked.text))


def new_api(idp, **extra):
    identifier = f"https://orders-{uid()}.example.com/"
    return idp.services.apis.create_api(identifier, "Orders", {"orders:read": "Read your orders",
                                                                "orders:write": "Change your orders"}, **extra)


def test_an_api_is_registered_listed_and_shown_with_its_scopes(idp, console):
    browser, admin = console
    form = browser.go(idp.endpoint("/admin/apis/new"))
    assert form.status_code == 200 and 'name="identifier"' in form.text
    identifier = f"https://inventory-{uid()}.example.com/"
    shown = post_form(browser, "/admin/apis/new", form, identifier=identifier, name="Inventory",
                      scopes="stock:read See the stock\nstock:write Change the stock", access_token_ttl="600")
    assert shown.status_code == 200 and "Inventory" in shown.text and "stock:write Change the stock" in shown.text
    api = idp.services.apis.api(identifier)
    assert api.scopes == {"stock:read": "See the stock", "stock:write": "Change the stock"}
    assert api.access_token_ttl == 600
    assert shown.final_url.endswith(f"/admin/apis/{api.id}")
    event = last_event(idp, "api.created")
    assert event.details["api"] == identifier and event.actor == f"user:{admin.id}"
    listed = browser.go(idp.endpoint("/admin/apis"))
    assert f'/admin/apis/{api.id}"' in listed.text and 'aria-current="page">APIs' in listed.text
    french = browser.go(idp.endpoint(f"/admin/apis/{api.id}?lang=fr"))
    assert "Clients autorisés" in french.text and "Rôles" in french.text
    browser.go(idp.endpoint("/admin/apis?lang=en"))


@pytest.mark.parametrize("fields, named", [
    ({"identifier": "not a uri", "name": "Bad"}, "identifier"),
    ({"name": "No identifier"}, "identifier"),
    ({"identifier": "https://x.example.com/", "name": ""}, "name"),
    ({"identifier": "https://x.example.com/", "name": "Bad", "scopes": "bad\"scope x"}, "scopes"),
    ({"identifier": "https://x.example.com/", "name": "Bad", "access_token_ttl": "²"}, "access_token_ttl"),
    ({"identifier": "https://x.example.com/", "name": "Bad", "access_token_ttl": "0"}, "access_token_ttl"),
    ({"identifier": "https://x.example.com/", "name": "Bad", "resource_server": "no-such-client"}, "resource_server"),
])
def test_a_bad_api_is_a_400_page_naming_the_field(idp, console, fields, named):
    browser, _ = console
    form = browser.go(idp.endpoint("/admin/apis/new"))
    refused = post_form(browser, "/admin/apis/new", form, **fields)
    assert refused.status_code == 400 and "Not saved" in refused.text and named in refused.text
    assert idp.services.apis.api("https://x.example.com/") is None


def test_a_field_too_long_is_a_400_page_saying_so(idp, console):
    browser, _ = console
    form = browser.go(idp.endpoint("/admin/apis/new"))
    refused = post_form(browser, "/admin/apis/new", form, identifier="https://long.example.com/", name="n" * 300)
    assert refused.status_code == 400 and "a field is too long" in refused.text


def test_a_taken_identifier_is_refused(idp, console):
    browser, _ = console
    api = new_api(idp)
    form = browser.go(idp.endpoint("/admin/apis/new"))
    refused = post_form(browser, "/admin/apis/new", form, identifier=api.identifier, name="Again")
    assert refused.status_code == 400 and "already exists" in refused.text
    assert idp.services.apis.api(api.identifier).name == "Orders"


def test_the_api_list_is_paged(idp, console):
    browser, _ = console
    made = {new_api(idp).identifier for _ in range(21)}
    page = browser.go(idp.endpoint("/admin/apis"))
    pages = [re.findall(r"<code>(https://[^<]+)</code>", page.text)]
    while (link := re.search(r'href="([^"]+)" rel="next"', page.text)) is not None:
        page = browser.go(idp.endpoint(html.unescape(link.group(1))))
        pages.append(re.findall(r"<code>(https://[^<]+)</code>", page.text))
    seen = [identifier for shown in pages for identifier in shown]
    assert len(pages) >= 2 and len(pages[0]) == 20 and len(seen) == len(set(seen)) and made <= set(seen)
    assert browser.go(idp.endpoint("/admin/apis?after=garbage")).status_code == 200


def test_editing_an_api_is_audited_and_a_change_made_meanwhile_is_a_409_page(idp, console):
    browser, admin = console
    api = new_api(idp)
    page = browser.go(idp.endpoint(f"/admin/apis/{api.id}"))
    fields = {k: v for k, v in hidden_fields(page.text).items() if k in ("version",)}
    base = dict(identifier=api.identifier, scopes="orders:read Read your orders", **fields)
    saved = post_form(browser, f"/admin/apis/{api.id}", page, name="Orders v2", **base)
    assert saved.status_code == 200 and "The API was saved." in saved.text
    assert idp.services.apis.api(api.identifier).name == "Orders v2"
    event = last_event(idp, "api.updated")
    assert event.actor == f"user:{admin.id}" and set(event.details["changed"]) == {"name", "scopes"}
    # The page read before the save carries the old version: saving from it is refused, nothing changes.
    stale = post_form(browser, f"/admin/apis/{api.id}", page, name="Lost update", **base)
    assert stale.status_code == 409 and "Someone changed this" in stale.text
    assert idp.services.apis.api(api.identifier).name == "Orders v2"
    bad = post_form(browser, f"/admin/apis/{api.id}", saved, name="Orders v3", identifier=api.identifier,
                    access_token_ttl="soon", version=hidden_fields(saved.text)["version"])
    assert bad.status_code == 400 and "access_token_ttl" in bad.text


def test_deleting_an_api_asks_first_then_is_audited(idp, console):
    browser, admin = console
    api = new_api(idp)
    page = browser.go(idp.endpoint(f"/admin/apis/{api.id}"))
    asked = post_form(browser, f"/admin/apis/{api.id}/delete", page, version=hidden_fields(page.text)["version"])
    assert "Delete the API Orders?" in asked.text and idp.services.apis.api(api.identifier) is not None
    done = confirm(browser, f"/admin/apis/{api.id}/delete", asked)
    assert done.status_code == 200 and done.final_url.endswith("/admin/apis")
    assert idp.services.apis.api(api.identifier) is None
    assert last_event(idp, "api.deleted").actor == f"user:{admin.id}"
    assert browser.go(idp.endpoint(f"/admin/apis/{api.id}")).status_code == 404


def test_deleting_an_api_changed_meanwhile_is_a_409_page(idp, console):
    browser, _ = console
    api = new_api(idp)
    page = browser.go(idp.endpoint(f"/admin/apis/{api.id}"))
    idp.services.apis.update_api(api.id, api.version, name="Renamed elsewhere")
    asked = post_form(browser, f"/admin/apis/{api.id}/delete", page, version=hidden_fields(page.text)["version"])
    refused = confirm(browser, f"/admin/apis/{api.id}/delete", asked)
    assert refused.status_code == 409 and idp.services.apis.api(api.identifier) is not None


@pytest.mark.parametrize("path", ["/admin/apis/nope", "/admin/apis/" + "x" * 100, "/admin/groups/nope"])
def test_unknown_ids_are_404_pages(idp, console, path):
    browser, _ = console
    assert browser.go(idp.endpoint(path)).status_code == 404


def test_a_nul_anywhere_is_a_400_or_404_page_never_a_500(idp, console):
    """PostgreSQL refuses even to compare a text holding NUL: the console stops it before the services."""
    browser, _ = console
    api = new_api(idp)
    idp.services.apis.create_role(api.identifier, "reader", [])
    group = f"nul-{uid()}"
    idp.services.apis.create_group(group)
    group_id = idp.services.apis.group_named(group)[0]
    assert browser.go(idp.endpoint("/admin/apis/a%00b")).status_code == 404
    assert browser.go(idp.endpoint("/admin/groups/a%00b")).status_code == 404
    assert browser.go(idp.endpoint(f"/admin/groups/{group_id}?after=WyJcdTAwMDAiXQ")).status_code == 200  # ["\0"]
    page = browser.go(idp.endpoint(f"/admin/apis/{api.id}"))
    for path, fields in [("roles/assign", {"role": "reader", "group": "a\0b"}),
                         ("roles/assign", {"role": "r\0", "group": group}),
                         ("roles/assign", {"role": "reader", "email": "a\0@example.com"}),
                         ("clients/allow", {"client_id": "c\0"}), ("roles/delete", {"role": "r\0", "confirmed": "yes"}),
                         ("clients/disallow", {"client_id": "c\0", "confirmed": "yes"}), ("roles", {"name": "a\0"})]:
        assert post_form(browser, f"/admin/apis/{api.id}/{path}", page, **fields).status_code == 400, (path, fields)
    for path, fields in [("/admin/groups", {"name": "a\0b"}), (f"/admin/groups/{group_id}/groups", {"group": "a\0"}),
                         (f"/admin/groups/{group_id}/members", {"email": "a\0@example.com"}),
                         ("/admin/apis/new", {"identifier": "https://nul.example.com/", "name": "a\0"})]:
        assert post_form(browser, path, page, **fields).status_code == 400, (path, fields)


def test_posts_without_csrf_are_refused_and_change_nothing(idp, console):
    browser, _ = console
    api = new_api(idp)
    for path, data in [(f"/admin/apis/{api.id}/roles", {"name": "sneaky"}), ("/admin/groups", {"name": "sneaky"}),
                       (f"/admin/apis/{api.id}/delete", {"confirmed": "yes"})]:
        assert browser.go(idp.endpoint(path), "POST", data).status_code == 400
    assert idp.services.apis.roles(api.identifier) == [] and idp.services.apis.group_named("sneaky") is None
    assert idp.services.apis.api(api.identifier) is not None


def test_roles_are_created_assigned_taken_back_and_deleted(idp, console):
    browser, admin = console
    api = new_api(idp)
    user = idp.create_user()
    group = f"ops-{uid()}"
    idp.services.apis.create_group(group)
    path = f"/admin/apis/{api.id}"
    page = browser.go(idp.endpoint(path))
    made = post_form(browser, path + "/roles", page, name="orders-admin", scopes="orders:read orders:write",
                     description="Runs the shop")
    assert made.status_code == 200 and "The role was created." in made.text and "Runs the shop" in made.text
    assert last_event(idp, "role.created").actor == f"user:{admin.id}"
    for fields, why in [({"name": "orders-admin"}, "has a role"), ({"name": "x", "scopes": "billing:read"}, "scopes"),
                        ({"name": "a/b"}, "without '/'"), ({"name": ""}, "name")]:
        refused = post_form(browser, path + "/roles", page, **fields)
        assert refused.status_code == 400 and why in html.unescape(refused.text), (fields, refused.text[:300])
    assigned = post_form(browser, path + "/roles/assign", page, role="orders-admin", email=user.email)
    assert "The role was assigned." in assigned.text
    event = last_event(idp, "role.assigned")
    assert event.user_id == user.id and event.actor == f"user:{admin.id}"
    assert post_form(browser, path + "/roles/assign", page, role="orders-admin", group=group).status_code == 200
    assert last_event(idp, "role.assigned").details["group"] == group
    for fields in [{"role": "orders-admin", "email": "nobody@example.com"}, {"role": "orders-admin", "group": "none"},
                   {"role": "orders-admin"}, {"role": "no-such-role", "email": user.email},
                   {"role": "orders-admin", "email": user.email, "group": group}]:
        assert post_form(browser, path + "/roles/assign", page, **fields).status_code == 400, fields
    asked = post_form(browser, path + "/roles/unassign", page, role="orders-admin", email=user.email)
    assert "Take back the role orders-admin?" in asked.text
    taken = confirm(browser, path + "/roles/unassign", asked)
    assert "The role was taken back." in taken.text and last_event(idp, "role.unassigned").user_id == user.id
    again = confirm(browser, path + "/roles/unassign", asked)
    assert again.status_code == 400 and "does not hold" in again.text
    asked = post_form(browser, path + "/roles/delete", page, role="orders-admin")
    assert "Delete the role orders-admin?" in asked.text and idp.services.apis.roles(api.identifier)
    deleted = confirm(browser, path + "/roles/delete", asked)
    assert "The role was deleted." in deleted.text and idp.services.apis.roles(api.identifier) == []
    assert last_event(idp, "role.deleted").actor == f"user:{admin.id}"


def test_clients_are_allowed_and_disallowed(idp, console, client):
    browser, admin = console
    api = new_api(idp)
    path = f"/admin/apis/{api.id}"
    page = browser.go(idp.endpoint(path))
    allowed = post_form(browser, path + "/clients/allow", page, client_id=client.client_id, scopes="orders:read",
                        default="y")
    assert "The client may now ask tokens for this API." in allowed.text and client.client_id in allowed.text
    event = last_event(idp, "api.client_allowed")
    assert event.client_id == client.client_id and event.actor == f"user:{admin.id}" and event.details["default"]
    for fields in [{"client_id": "no-such-client"}, {"client_id": ""},
                   {"client_id": client.client_id, "scopes": "billing:read"}]:
        assert post_form(browser, path + "/clients/allow", page, **fields).status_code == 400, fields
    asked = post_form(browser, path + "/clients/disallow", page, client_id=client.client_id)
    assert f"Disallow {client.client_id}?" in asked.text
    done = confirm(browser, path + "/clients/disallow", asked)
    assert "may no longer ask tokens" in done.text
    assert last_event(idp, "api.client_disallowed").client_id == client.client_id
    assert confirm(browser, path + "/clients/disallow", asked).status_code == 400  # no longer allowed


def test_groups_members_and_nested_groups(idp, console):
    browser, admin = console
    listing = browser.go(idp.endpoint("/admin/groups"))
    name, child_name = f"staff-{uid()}", f"team-{uid()}"
    made = post_form(browser, "/admin/groups", listing, name=name)
    assert made.status_code == 200 and "The group was created." in made.text
    group = idp.services.apis.group_named(name)
    assert f"/admin/groups/{group[0]}?" in made.final_url
    assert last_event(idp, "group.created").actor == f"user:{admin.id}"
    assert post_form(browser, "/admin/groups", listing, name=name).status_code == 400  # taken
    assert post_form(browser, "/admin/groups", listing, name="  ").status_code == 400
    post_form(browser, "/admin/groups", listing, name=child_name)
    child = idp.services.apis.group_named(child_name)
    assert f'/admin/groups/{group[0]}"' in browser.go(idp.endpoint("/admin/groups")).text
    path = f"/admin/groups/{group[0]}"
    page = browser.go(idp.endpoint(path))
    user = idp.create_user()
    added = post_form(browser, path + "/members", page, email=user.email)
    assert "The member was added." in added.text and user.email in added.text
    assert last_event(idp, "group.member_added").user_id == user.id
    assert post_form(browser, path + "/members", page, email="nobody@example.com").status_code == 400
    nested = post_form(browser, path + "/groups", page, group=child_name)
    assert "put inside this one" in nested.text and f'/admin/groups/{child[0]}"' in nested.text
    loop = post_form(browser, f"/admin/groups/{child[0]}/groups", page, group=name)
    assert loop.status_code == 400 and "cannot contain themselves" in loop.text
    assert post_form(browser, path + "/groups", page, group=name).status_code == 400  # itself
    assert post_form(browser, path + "/groups", page, group="no-such-group").status_code == 400
    asked = post_form(browser, path + "/groups/remove", page, group=child_name)
    assert f"Remove {child_name}?" in asked.text
    taken_out = confirm(browser, path + "/groups/remove", asked)
    assert "taken out of this one" in taken_out.text and "No group is inside this one." in taken_out.text
    assert last_event(idp, "group.member_removed").details["member_group"] == child_name
    asked = post_form(browser, path + "/members/remove", page, email=user.email)
    removed = confirm(browser, path + "/members/remove", asked)
    assert "The member was removed." in removed.text and last_event(idp, "group.member_removed").user_id == user.id
    assert confirm(browser, path + "/members/remove", asked).status_code == 400  # not a member any more
    asked = post_form(browser, path + "/delete", page, version=hidden_fields(page.text)["version"])
    assert f"Delete the group {name}?" in asked.text and idp.services.apis.group_named(name) is not None
    done = confirm(browser, path + "/delete", asked)
    assert done.final_url.endswith("/admin/groups") and idp.services.apis.group_named(name) is None
    assert last_event(idp, "group.deleted").actor == f"user:{admin.id}"


def test_group_members_are_paged(idp, console):
    browser, _ = console
    name = f"many-{uid()}"
    idp.services.apis.create_group(name)
    users = [idp.create_user() for _ in range(21)]
    for user in users:
        idp.services.apis.add_member(name, user_id=user.id)
    group_id = idp.services.apis.group_named(name)[0]
    first = browser.go(idp.endpoint(f"/admin/groups/{group_id}"))
    shown = set(re.findall(r">(user-\w+@example.com)</a>", first.text))
    nxt = html.unescape(re.search(r'href="([^"]+)" rel="next"', first.text).group(1))
    second = browser.go(idp.endpoint(nxt))
    rest = set(re.findall(r">(user-\w+@example.com)</a>", second.text))
    assert len(shown) == 20 and shown | rest == {u.email for u in users} and 'rel="next"' not in second.text


def test_nested_groups_are_listed_and_paged(idp, console):
    browser, _ = console
    registry, name = idp.services.apis, f"outer-{uid()}"
    registry.create_group(name)
    children = sorted(f"inner-{uid()}" for _ in range(21))
    for child in children:
        registry.create_group(child)
        registry.add_member(name, member_group=child)
    first = browser.go(idp.endpoint(f"/admin/groups/{registry.group_named(name)[0]}"))
    shown = re.findall(r'value="(inner-\w+)"', first.text)
    nxt = html.unescape(re.search(r'href="([^"]+groups_after=[^"]+)" rel="next"', first.text).group(1))
    rest = re.findall(r'value="(inner-\w+)"', browser.go(idp.endpoint(nxt)).text)
    assert len(shown) == 20 and set(shown) | set(rest) == set(children) and not set(shown) & set(rest)


def test_a_role_assigned_in_the_console_reaches_the_token_rfc9068_2_2_3_1(idp, console):
    browser, _ = console
    apis = two_apis(idp)
    rp, secret = rp_client(idp, apis)
    user = idp.create_user()
    api = idp.services.apis.api(apis.a)
    idp.services.apis.create_role(apis.a, "orders-admin", ["orders:read"])
    page = browser.go(idp.endpoint(f"/admin/apis/{api.id}"))
    assert post_form(browser, f"/admin/apis/{api.id}/roles/assign", page, role="orders-admin",
                     email=user.email).status_code == 200
    token = code_flow(idp, Browser(idp), rp, secret, user, scope="openid orders:read", resources=[apis.a])
    assert claims_of(token["access_token"])["roles"] == ["orders-admin"]


def test_console_messages_kept_in_constants_have_their_french_translation():
    from idp.admin.console import api_access, apis, groups, registry
    from idp.i18n import CATALOGUES

    constants = [registry.NOT_DONE, registry.CHANGED_MEANWHILE, apis.DELETE_API_QUESTION, *apis.MESSAGES.values(),
                 api_access.DELETE_ROLE_QUESTION, api_access.UNASSIGN_QUESTION, api_access.DISALLOW_QUESTION,
                 groups.DELETE_GROUP_QUESTION, groups.REMOVE_MEMBER_QUESTION, *groups.MESSAGES.values()]
    assert [text for text in constants if text not in CATALOGUES["fr"]] == []
