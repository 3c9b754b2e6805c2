"""Who holds what and the searches in the console (issue 34), on both backends: a user's page shows
their groups and effective roles with where each comes from, a group's page its roles, a role's
page its holders (directly and through nested groups) a keyset page at a time; the lists find by
any part of a name and say how many match; an unknown role is a 404 page, a search no text can be a
400 page (never a 500)."""

from __future__ import annotations

import html
import re

from tests.admin_console_flows import console  # noqa: F401  (the fixture)
from tests.apis_helpers import uid


def text_of(page) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text)))


def setup_holdings(idp):
    registry, mark = idp.services.apis, uid()
    ident = f"https://held-{mark}.example.com/"
    registry.create_api(ident, f"Held {mark}", {"h:read": ""})
    registry.create_role(ident, "reader", ["h:read"])
    registry.create_role(ident, "writer", [])
    outer, inner = f"org-{mark}", f"team-{mark}"
    registry.create_group(outer)
    registry.create_group(inner)
    registry.add_member(outer, member_group=inner)
    user, direct = idp.create_user(), idp.create_user()
    registry.add_member(inner, user_id=user.id)
    registry.assign(ident, "reader", group=outer)
    registry.assign(ident, "writer", user_id=user.id)
    registry.assign(ident, "reader", user_id=direct.id)
    return registry.api(ident), outer, inner, user, direct


def test_a_users_page_names_their_groups_and_where_each_role_comes_from(idp, console):
    browser, _ = console
    api, outer, inner, user, _direct = setup_holdings(idp)
    page = browser.go(idp.endpoint(f"/admin/users/{user.id}"))
    assert page.status_code == 200
    shown = text_of(page)
    assert f"{inner} A direct member" in shown and f"{outer} Through {inner}" in shown
    assert f"reader h:read Through the group {outer} (via {inner})" in shown
    assert "writer — Directly" in shown
    holders_link = f"/admin/apis/{api.id}/roles/reader/holders"
    assert holders_link in page.text

    group = idp.services.apis.group_named(inner)
    shown = text_of(browser.go(idp.endpoint(f"/admin/groups/{group[0]}")))
    assert f"reader h:read Through the group {outer}" in shown and "Inside the groups" in shown


def test_a_roles_page_lists_its_holders_page_by_page(idp, console):
    browser, _ = console
    api, outer, inner, user, direct = setup_holdings(idp)
    extra = [idp.create_user() for _ in range(20)]  # past one page (20 a page)
    for other in extra:
        idp.services.apis.add_member(inner, user_id=other.id)
    first = browser.go(idp.endpoint(f"/admin/apis/{api.id}/roles/reader/holders"))
    assert first.status_code == 200
    shown = text_of(first)
    assert f"Groups given the role {outer}" in shown
    cursor = re.search(r'href="[^"]*\?after=([^"&]+)"', first.text).group(1)
    second = browser.go(idp.endpoint(f"/admin/apis/{api.id}/roles/reader/holders?after={cursor}"))
    everyone = re.findall(r'href="/admin/users/([0-9a-f-]{36})"', first.text + second.text)
    assert everyone == sorted(u.id for u in [user, direct, *extra])
    assert f"{direct.email} Ada Lovelace Directly" in text_of(first) + text_of(second)
    assert browser.go(idp.endpoint(f"/admin/apis/{api.id}/roles/nobody/holders")).status_code == 404
    assert browser.go(idp.endpoint("/admin/apis/nope/roles/reader/holders")).status_code == 404
    garbled = browser.go(idp.endpoint(f"/admin/apis/{api.id}/roles/reader/holders?after=%%%"))
    assert garbled.status_code == 200  # a cursor not of this list: the first page again


def test_the_lists_find_by_any_part_of_a_name_and_count_the_matches(idp, console):
    browser, _ = console
    mark = uid()
    user = idp.create_user(email=f"who.{mark}@example.com", name=f"Some {mark} one")
    client, _ = idp.create_client(name=f"Shop {mark} web")
    idp.services.apis.create_api(f"https://s-{mark}.example.com/", f"Search {mark}")
    idp.services.apis.create_group(f"grp-{mark}-x")
    for path, expected in (("users", user.email), ("clients", client.client_id), ("apis", f"Search {mark}"),
                           ("groups", f"grp-{mark}-x")):
        page = browser.go(idp.endpoint(f"/admin/{path}?q={mark.upper()}"))
        assert page.status_code == 200 and expected in page.text and "Found: 1." in text_of(page), path
        assert "Found:" not in text_of(browser.go(idp.endpoint(f"/admin/{path}"))), path
        assert browser.go(idp.endpoint(f"/admin/{path}?q=%01")).status_code == 400, path
        assert "Found: 0." in text_of(browser.go(idp.endpoint(f"/admin/{path}?q={mark}%25"))), path
