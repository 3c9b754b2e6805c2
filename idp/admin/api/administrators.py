"""/admin/api/v1/admins: who may enter the web console, as `idp admins grant|revoke|list` (issue 15).
PUT grants (idempotent: 201 when made now, 200 when they already were); DELETE revokes, with
If-Match, and never the last administrator (409)."""

from __future__ import annotations

from flask import url_for

from idp.admin.api.framework import READ, WRITE, bp, current_actor, if_match, page_args, page_response, requires, \
    resource
from idp.administration.administrators import AdministratorAdmin, administrator_version
from idp.plumbing.context import services


def admin() -> AdministratorAdmin:
    return AdministratorAdmin(services())


@bp.get("/admins")
@requires(READ)
def list_admins():
    """By user id; `second_factor` false: they cannot enter the console until they enrol one."""
    administrators = admin()
    return page_response(administrators.list(**page_args()), administrators.as_dict)


@bp.get("/admins/<user_id>")
@requires(READ)
def get_admin(user_id):
    administrators = admin()
    found = administrators.get(user_id)
    return resource(administrators.as_dict(found), administrator_version(found))


@bp.put("/admins/<user_id>")
@requires(WRITE)
def grant_admin(user_id):
    """No body: the user (404 when unknown) becomes an administrator."""
    administrators = admin()
    found, made = administrators.grant(current_actor(), user_id)
    return resource(administrators.as_dict(found), administrator_version(found), 201 if made else 200,
                    url_for("admin_api.get_admin", user_id=found.user_id) if made else None)


@bp.delete("/admins/<user_id>")
@requires(WRITE)
def revoke_admin(user_id):
    admin().revoke(current_actor(), user_id, if_match())
    return "", 204
