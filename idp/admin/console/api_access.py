"""On an API's page (issue 21): its roles — creating one, deleting it, assigning it to a user (by
email) or a group (by name) and taking it back — and the clients allowed to ask tokens for it
(RFC 8707 `resource`). Assigning and allowing are set operations (repeating changes nothing);
deleting a role, taking one back and disallowing a client ask first."""

from __future__ import annotations

from flask import abort, g, request, url_for

from idp.admin.console.apis import target_api
from idp.admin.console.blueprint import bp
from idp.admin.console.forms_apis import RoleForm
from idp.admin.console.registry import (
    Refused,
    actor,
    api_admin,
    attempt,
    confirmed_then,
    form_text,
    group_named,
    submitted,
    user_named,
)
from idp.i18n import gettext as _

DELETE_ROLE_QUESTION = (
    "The role %(role)s of %(api)s and every assignment of it are removed: the next tokens of its holders no "
    "longer carry it."
)
UNASSIGN_QUESTION = "%(holder)s no longer holds %(role)s: the next token issued for %(api)s leaves it out."
DISALLOW_QUESTION = (
    "%(client)s may no longer ask tokens for %(api)s (invalid_target); the tokens it holds run out on their own."
)


def back(api, done: str | None = None) -> str:
    """The api's page (with what was done: its message)."""
    return url_for("admin.api_edit", api_id=api.id, done=done)


@bp.post("/apis/<api_id>/roles")
def api_role_create(api_id: str):
    api = target_api(api_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400, _("The role was not created: a field is too long."))
    fields = {"name": (form.name.data or "").strip(), "scopes": (form.scopes.data or "").split(),
              "description": (form.description.data or "").strip() or None}
    return attempt(lambda: api_admin().add_role(actor(g.admin), api.id, fields), back(api), back(api, "role"))


@bp.post("/apis/<api_id>/roles/delete")
def api_role_delete(api_id: str):
    api, role = target_api(api_id), form_text("role")
    return confirmed_then(lambda: api_admin().remove_role(actor(g.admin), api.id, role), back=back(api),
                          done=back(api, "role_deleted"), title=_("Delete the role %(role)s?", role=role),
                          question=_(DELETE_ROLE_QUESTION, role=role, api=api.name), button=_("Delete the role"),
                          fields={"role": role})


def holder() -> dict:
    """The user (by email) or group (by name) the assignment form names: exactly one of them."""
    email, group = form_text("email", 320), form_text("group")
    if bool(email) == bool(group):
        raise Refused({"holder": _("name either a user's email or a group")})
    if email:
        return {"user_id": user_named(email).id}
    return {"group": group_named(group).name}


@bp.post("/apis/<api_id>/roles/assign")
def api_role_assign(api_id: str):
    api, role = target_api(api_id), form_text("role")
    submitted()
    return attempt(lambda: api_admin().assign(actor(g.admin), api.id, role, **holder()), back(api),
                   back(api, "assigned"))


@bp.post("/apis/<api_id>/roles/unassign")
def api_role_unassign(api_id: str):
    api, role = target_api(api_id), form_text("role")
    email, group = form_text("email", 320), form_text("group")
    return confirmed_then(lambda: api_admin().unassign(actor(g.admin), api.id, role, **holder()), back=back(api),
                          done=back(api, "unassigned"), title=_("Take back the role %(role)s?", role=role),
                          question=_(UNASSIGN_QUESTION, holder=email or group, role=role, api=api.name),
                          button=_("Take back"), fields={"role": role, "email": email, "group": group})


@bp.post("/apis/<api_id>/clients/allow")
def api_client_allow(api_id: str):
    api, client_id = target_api(api_id), form_text("client_id", 64)
    submitted()
    scopes = form_text("scopes", 13_000).split() or None  # none named: every scope the API defines
    default = request.form.get("default") == "y"

    def work():
        if not client_id:
            raise Refused({"client_id": _("name the client")})
        api_admin().grant(actor(g.admin), api.id, client_id, scopes, default)
    return attempt(work, back(api), back(api, "allowed"))


@bp.post("/apis/<api_id>/clients/disallow")
def api_client_disallow(api_id: str):
    api, client_id = target_api(api_id), form_text("client_id", 64)
    return confirmed_then(lambda: api_admin().deny(actor(g.admin), api.id, client_id), back=back(api),
                          done=back(api, "disallowed"), title=_("Disallow %(client)s?", client=client_id),
                          question=_(DISALLOW_QUESTION, client=client_id, api=api.name), button=_("Disallow"),
                          fields={"client_id": client_id})
