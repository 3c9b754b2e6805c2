"""Who holds what in the console (issue 34), read through Holdings (idp/administration/holdings.py) as
the admin API and the CLI read it: a user's groups and effective roles with where each comes from
(on the user's page), a group's roles and the groups it is inside (on the group's page), and an API
role's holders, directly and through groups, a keyset page at a time (a page of its own)."""

from __future__ import annotations

from flask import abort, render_template

from idp.admin.console.apis import target_api
from idp.admin.console.blueprint import bp
from idp.admin.console.pages import PAGE_SIZE, cursor_from_request, cursor_link
from idp.admin.console.registry import keyset_page
from idp.administration import NotFound
from idp.administration.holdings import Holdings
from idp.i18n import gettext as _
from idp.plumbing.context import services


def holdings() -> Holdings:
    return Holdings(services())


def paged(listing, cursor_name: str, *args) -> dict:
    """A keyset page of listing(*args) at ?<cursor_name>=, as the templates' pager takes it."""
    after = cursor_from_request(cursor_name)
    page = keyset_page(listing, after, PAGE_SIZE, *args)
    return {"items": page.items, "next": cursor_link(page.next_key), "first": after is None, "cursor": cursor_name}


def of_user(user_id: str) -> dict:
    """The user's page's groups and effective roles (their own pages: ?groups_after=, ?roles_after=)."""
    return {"groups": paged(holdings().user_groups, "groups_after", user_id),
            "roles": paged(holdings().user_roles, "roles_after", user_id)}


def of_group(group_id: str) -> dict:
    """The group's page's roles (its own and inherited: ?roles_after=) and the groups it is inside."""
    return {"roles": paged(holdings().group_roles, "roles_after", group_id),
            "parents": holdings().group_parents(group_id)}


@bp.get("/apis/<api_id>/roles/<role>/holders")
def api_role_holders(api_id: str, role: str):
    api = target_api(api_id)
    try:
        holders = paged(lambda *a, **k: holdings().role_holders(api.id, role, **k), "after")
        groups = paged(lambda *a, **k: holdings().role_groups(api.id, role, **k), "groups_after")
    except NotFound:
        abort(404, _("There is no such role."))
    return render_template("admin/role_holders.html", api=api, role=role, holders=holders, groups=groups)
