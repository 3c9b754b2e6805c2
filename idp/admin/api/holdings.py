"""Who holds what on the admin API (issue 34), read through Holdings (idp/administration/holdings.py)
as the console and the CLI read it: a user's groups and effective roles with their sources, a
group's roles and the groups it is inside, an API role's holders (users, directly or through which
groups) and the groups it is assigned to. Every list is a page (?limit=, ?cursor=)."""

from __future__ import annotations

from flask import jsonify

from idp.admin.api.framework import READ, bp, page_args, page_response, requires
from idp.administration.groups import group_document
from idp.administration.holdings import (
    Holdings,
    group_holding_document,
    holder_document,
    role_holding_document,
)
from idp.plumbing.context import services


def holdings() -> Holdings:
    return Holdings(services())


@bp.get("/users/<user_id>/roles")
@requires(READ)
def list_user_roles(user_id):
    """The user's effective roles (what their next token carries), each with its sources: assigned to
    them directly, or to a group they are in (`via`: the groups in between); by API then role."""
    return page_response(holdings().user_roles(user_id, **page_args()), role_holding_document)


@bp.get("/users/<user_id>/groups")
@requires(READ)
def list_user_groups(user_id):
    """The user's groups, direct and through nesting (`via`), by name."""
    return page_response(holdings().user_groups(user_id, **page_args()), group_holding_document)


@bp.get("/groups/<group_id>/roles")
@requires(READ)
def list_group_roles(group_id):
    """The roles the group's members hold through it: its own, and those of the groups it is inside."""
    return page_response(holdings().group_roles(group_id, **page_args()), role_holding_document)


@bp.get("/groups/<group_id>/parents")
@requires(READ)
def list_group_parents(group_id):
    """The groups this group is inside, directly or not (a short list: no paging)."""
    return jsonify(items=[group_holding_document(g) for g in holdings().group_parents(group_id)])


@bp.get("/apis/<api_id>/roles/<name>/holders")
@requires(READ)
def list_role_holders(api_id, name):
    """The users who hold the role, directly (`direct`) or through the groups named (`groups`), by user id."""
    return page_response(holdings().role_holders(api_id, name, **page_args()), holder_document)


@bp.get("/apis/<api_id>/roles/<name>/groups")
@requires(READ)
def list_role_groups(api_id, name):
    """The groups the role is assigned to, by name."""
    return page_response(holdings().role_groups(api_id, name, **page_args()), group_document)
