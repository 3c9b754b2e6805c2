"""/admin/api/v1/apis: registered APIs (resource servers), their roles and the clients allowed them
(issue 21); the rules are ApiAdmin's (idp/administration/apis.py).

An API's `identifier` is the `resource` value a client sends (RFC 8707 2) and the `aud` of the
access tokens issued for it (RFC 9068 3); its `id` names it in these paths (an identifier is a URI).
Changing or deleting an API needs If-Match; granting or denying a client, adding or removing a role
are set operations on the API that answer the same however often they are repeated.
"""

from __future__ import annotations

from flask import jsonify, request, url_for

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
from idp.administration.apis import ApiAdmin, allowance_document, api_document, api_version, role_document
from idp.administration.groups import GroupAdmin
from idp.plumbing.context import services
from idp.store.api_views import ApiView

API_FIELDS = {"identifier": (str,), "name": (str,), "scopes": (dict,), "role_scopes": (list, None),
              "claim_mappings": (list, None),
              "access_token_ttl": (int, None), "dpop_only": (bool,), "resource_server": (str, None)}
ROLE_FIELDS = {"name": (str,), "scopes": (list,), "description": (str, None)}
ALLOWANCE_FIELDS = {"scopes": (list, None), "default": (bool,)}


def admin() -> ApiAdmin:
    return ApiAdmin(services())


def api_resource(api: ApiView, status: int = 200):
    location = url_for("admin_api.get_api", api_id=api.id) if status == 201 else None
    return resource(api_document(api), api_version(api), status, location)


def optional_body(fields: dict) -> dict:
    """A PUT may come without a body (its defaults apply)."""
    return json_body(fields) if request.get_data() else {}


@bp.get("/apis")
@requires(READ)
def list_apis():
    """?q= (text the name or identifier holds), ?limit=, ?cursor=; by identifier."""
    return searched_page(admin().list, "apis", api_document)


@bp.post("/apis")
@requires(WRITE)
def create_api():
    return api_resource(admin().create(current_actor(), json_body(API_FIELDS, required=("identifier", "name"))), 201)


@bp.get("/apis/<api_id>")
@requires(READ)
def get_api(api_id):
    return api_resource(admin().get(api_id))


@bp.patch("/apis/<api_id>")
@requires(WRITE)
def update_api(api_id):
    """A JSON merge patch (RFC 7396) of the API's fields; If-Match required."""
    version = if_match()
    return api_resource(admin().update(current_actor(), api_id, json_body(API_FIELDS), version))


@bp.delete("/apis/<api_id>")
@requires(WRITE)
def delete_api(api_id):
    """With its roles, their assignments and its clients' allowances; If-Match required."""
    admin().delete(current_actor(), api_id, if_match())
    return "", 204


# -- roles: labels the API checks in `roles` (RFC 9068 2.2.3.1) --------------------------------
@bp.get("/apis/<api_id>/roles")
@requires(READ)
def list_api_roles(api_id):
    return page_response(admin().roles(api_id, **page_args()), role_document)


@bp.post("/apis/<api_id>/roles")
@requires(WRITE)
def create_api_role(api_id):
    role = admin().add_role(current_actor(), api_id, json_body(ROLE_FIELDS, required=("name",)))
    response = jsonify(role_document(role))
    response.status_code = 201
    return response


@bp.delete("/apis/<api_id>/roles/<name>")
@requires(WRITE)
def delete_api_role(api_id, name):
    admin().remove_role(current_actor(), api_id, name)
    return "", 204


@bp.put("/apis/<api_id>/roles/<name>/users/<user_id>")
@requires(WRITE)
def assign_role_to_user(api_id, name, user_id):
    """The user holds the role: the next token issued for the API carries it in `roles`."""
    admin().assign(current_actor(), api_id, name, user_id=user_id)
    return "", 204


@bp.delete("/apis/<api_id>/roles/<name>/users/<user_id>")
@requires(WRITE)
def unassign_role_from_user(api_id, name, user_id):
    admin().unassign(current_actor(), api_id, name, user_id=user_id)
    return "", 204


def group_name(group_id: str) -> str:
    """The group the path names (roles are held by group name); NotFound -> 404 problem."""
    return GroupAdmin(services()).get(group_id).name


@bp.put("/apis/<api_id>/roles/<name>/groups/<group_id>")
@requires(WRITE)
def assign_role_to_group(api_id, name, group_id):
    """Every member of the group, direct or through nested groups, holds the role."""
    admin().assign(current_actor(), api_id, name, group=group_name(group_id))
    return "", 204


@bp.delete("/apis/<api_id>/roles/<name>/groups/<group_id>")
@requires(WRITE)
def unassign_role_from_group(api_id, name, group_id):
    admin().unassign(current_actor(), api_id, name, group=group_name(group_id))
    return "", 204


# -- the clients that may ask tokens for it (RFC 8707 `resource`) --------------------------------
@bp.get("/apis/<api_id>/clients")
@requires(READ)
def list_api_clients(api_id):
    return page_response(admin().clients(api_id, **page_args()), allowance_document)


@bp.put("/apis/<api_id>/clients/<client_id>")
@requires(WRITE)
def allow_api_client(api_id, client_id):
    """{"scopes": [...] | null (every scope of the API), "default": bool (the API it gets without `resource`)}."""
    body = optional_body(ALLOWANCE_FIELDS)
    allowance = admin().grant(current_actor(), api_id, client_id, body.get("scopes"), body.get("default", False))
    return jsonify(allowance_document(allowance))


@bp.delete("/apis/<api_id>/clients/<client_id>")
@requires(WRITE)
def deny_api_client(api_id, client_id):
    admin().deny(current_actor(), api_id, client_id)
    return "", 204
