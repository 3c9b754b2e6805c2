"""/admin/api/v1/groups: groups of users and of groups, whose roles reach their members' tokens
(issue 21; RFC 9068 2.2.3.1 `groups`); the rules are GroupAdmin's (idp/administration/groups.py).

Deleting a group needs If-Match; adding (PUT) or removing (DELETE) a member user or a nested group
is a set operation: adding twice changes nothing, removing what is not there is 404.
"""

from __future__ import annotations

from flask import url_for

from idp.admin.api.framework import (
    READ,
    WRITE,
    bp,
    current_actor,
    if_match,
    json_body,
    page_args,
    page_response,
    requires,
    resource,
    searched_page,
)
from idp.administration.groups import GroupAdmin, group_document, group_version, member_document
from idp.plumbing.context import services


def admin() -> GroupAdmin:
    return GroupAdmin(services())


@bp.get("/groups")
@requires(READ)
def list_groups():
    """?q= (text the name holds), ?limit=, ?cursor=; by name."""
    return searched_page(admin().list, "groups", group_document)


@bp.post("/groups")
@requires(WRITE)
def create_group():
    group = admin().create(current_actor(), json_body({"name": (str,), "organization": (str,)}, required=("name",)))
    return resource(group_document(group), group_version(group), 201, url_for("admin_api.get_group",
                                                                               group_id=group.id))


@bp.get("/groups/<group_id>")
@requires(READ)
def get_group(group_id):
    group = admin().get(group_id)
    return resource(group_document(group), group_version(group))


@bp.delete("/groups/<group_id>")
@requires(WRITE)
def delete_group(group_id):
    """With its memberships and role assignments; If-Match required."""
    admin().delete(current_actor(), group_id, if_match())
    return "", 204


@bp.get("/groups/<group_id>/members")
@requires(READ)
def list_group_members(group_id):
    """The users directly in the group, by user_id."""
    return page_response(admin().members(group_id, **page_args()), member_document)


@bp.get("/groups/<group_id>/groups")
@requires(READ)
def list_nested_groups(group_id):
    """The groups directly inside the group (their members are the group's too), by name."""
    return page_response(admin().nested(group_id, **page_args()), group_document)


@bp.put("/groups/<group_id>/members/<user_id>")
@requires(WRITE)
def add_group_member(group_id, user_id):
    admin().add_member(current_actor(), group_id, user_id)
    return "", 204


@bp.delete("/groups/<group_id>/members/<user_id>")
@requires(WRITE)
def remove_group_member(group_id, user_id):
    admin().remove_member(current_actor(), group_id, user_id)
    return "", 204


@bp.put("/groups/<group_id>/groups/<child_id>")
@requires(WRITE)
def add_nested_group(group_id, child_id):
    """child_id inside group_id: its members become members of group_id; 400 when it would be a loop."""
    admin().add_group(current_actor(), group_id, child_id)
    return "", 204


@bp.delete("/groups/<group_id>/groups/<child_id>")
@requires(WRITE)
def remove_nested_group(group_id, child_id):
    admin().remove_group(current_actor(), group_id, child_id)
    return "", 204
