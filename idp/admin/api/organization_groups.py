"""/admin/api/v1/organizations/{id}/groups (issue 33): an organization's groups, whose roles count
in that organization's tokens only; the rules, tenant isolation included, are OrganizationGroups'
(idp/organizations/groups.py). A group is named by its id or its name."""

from __future__ import annotations

from flask import jsonify, url_for

from idp.admin.api.framework import READ, WRITE, bp, current_actor, json_body, page_args, page_response, requires
from idp.administration.groups import group_document, member_document
from idp.organizations.admin import OrganizationAdmin
from idp.organizations.groups import OrganizationGroups
from idp.plumbing.context import services


def groups() -> OrganizationGroups:
    return OrganizationGroups(services())


def roles_document(pairs) -> dict:
    return {"items": [{"api": api, "name": name} for api, name in pairs]}


@bp.get("/organizations/<organization_id>/groups")
@requires(READ, tenant=True)
def list_organization_groups(organization_id):
    """By name."""
    return page_response(groups().list(current_actor(), organization_id, **page_args()), group_document)


@bp.post("/organizations/<organization_id>/groups")
@requires(WRITE, tenant=True)
def create_organization_group(organization_id):
    """{"name"}: group names are unique in the deployment (409 when taken)."""
    OrganizationAdmin(services()).get(current_actor(), organization_id)  # 404 before the body is read
    group = groups().create(current_actor(), organization_id, json_body({"name": (str,)}, required=("name",)))
    response = jsonify(group_document(group))
    response.status_code = 201
    response.headers["Location"] = url_for("admin_api.get_organization_group", organization_id=organization_id,
                                           group_id=group.id)
    return response


@bp.get("/organizations/<organization_id>/groups/<group_id>")
@requires(READ, tenant=True)
def get_organization_group(organization_id, group_id):
    return jsonify(group_document(groups().get(current_actor(), organization_id, group_id)))


@bp.delete("/organizations/<organization_id>/groups/<group_id>")
@requires(WRITE, tenant=True)
def delete_organization_group(organization_id, group_id):
    groups().delete(current_actor(), organization_id, group_id)
    return "", 204


@bp.get("/organizations/<organization_id>/groups/<group_id>/members")
@requires(READ, tenant=True)
def list_organization_group_members(organization_id, group_id):
    return page_response(groups().members(current_actor(), organization_id, group_id, **page_args()),
                         member_document)


@bp.put("/organizations/<organization_id>/groups/<group_id>/members/<user_id>")
@requires(WRITE, tenant=True)
def add_organization_group_member(organization_id, group_id, user_id):
    """A member of the organization only (anyone else: 404)."""
    groups().add_member(current_actor(), organization_id, group_id, user_id)
    return "", 204


@bp.delete("/organizations/<organization_id>/groups/<group_id>/members/<user_id>")
@requires(WRITE, tenant=True)
def remove_organization_group_member(organization_id, group_id, user_id):
    groups().remove_member(current_actor(), organization_id, group_id, user_id)
    return "", 204


@bp.get("/organizations/<organization_id>/groups/<group_id>/roles")
@requires(READ, tenant=True)
def list_organization_group_roles(organization_id, group_id):
    return jsonify(roles_document(groups().roles(current_actor(), organization_id, group_id)))


@bp.put("/organizations/<organization_id>/groups/<group_id>/roles")
@requires(WRITE, tenant=True)
def set_organization_group_roles(organization_id, group_id):
    """Replaces the group's roles: {"roles": [{"api": identifier, "name": role}, ...]}."""
    found = groups()
    found.get(current_actor(), organization_id, group_id)  # 404 before the body is read
    body = json_body({"roles": (list,)}, required=("roles",))
    return jsonify(roles_document(found.set_roles(current_actor(), organization_id, group_id, body["roles"])))
