"""An organization's branding and enterprise connections in the console (issue 33): the branding
form and the connections (list, create) on the organization's page, a connection's own page to edit
it (label, client id, discovery URL, a new secret to rotate it) and its deletion after a
confirmation. Through the services the admin API and `idp orgs` call: OrganizationAdmin.update
for the branding (PATCH /organizations/{id}), ConnectionAdmin for the connections, whose audit
events they record; a delegated administrator (organization_access.py) reaches their own
organization's only. The client secret is write-only: a password input, never written back into a
page, not even a refused form's."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for

import idp.admin.console.organization_access as access
from idp.admin.console.blueprint import bp
from idp.admin.console.form_model import field_errors, submitted_values
from idp.admin.console.forms import ActionForm
from idp.admin.console.organization_sso_form import (
    BRANDING,
    BRANDING_FIELDS,
    CONNECTION_FIELDS,
    KIND_LABELS,
    branding_changes,
    connection_input,
)
from idp.admin.console.organizations import access_form_checked, back, organization_view, target
from idp.admin.console.pages import ask_then
from idp.administration import Invalid, NotFound, PreconditionFailed
from idp.i18n import gettext as _
from idp.organizations.connections import ConnectionAdmin, connection_version
from idp.plumbing.context import services

STALE = "Someone changed this meanwhile: nothing was saved. Look again, then retry."
CONNECTION_MESSAGES = {"saved": "The connection was saved."}


def connections() -> ConnectionAdmin:
    return ConnectionAdmin(services())


def refusal(exc: Exception, fields, default: str) -> tuple[dict, int]:
    """A service's refusal as (form field -> reason, status): every wrong field at once."""
    if isinstance(exc, Invalid):
        return field_errors(exc.errors, fields), 400
    if isinstance(exc, PreconditionFailed):
        return {default: _(STALE)}, 409
    return {default: str(exc)}, 404


@bp.post("/organizations/<organization_id>/branding")
def organization_branding(organization_id: str):
    """What PATCH /organizations/{id} {"branding": …} does; an empty input clears (the deployment's)."""
    org = target(organization_id)
    access_form_checked()
    values = submitted_values(BRANDING_FIELDS)
    try:
        access.organizations().update(access.console_actor(org.id), org.id, branding_changes(values),
                                      request.form.get("version", "")[:64] or "-")
    except (Invalid, PreconditionFailed) as exc:
        errors, status = refusal(exc, BRANDING_FIELDS, BRANDING)
        return organization_view(org, errors, values, status)
    return redirect(back(org.id, "branding_saved", "#branding"))


@bp.post("/organizations/<organization_id>/connections")
def organization_connection_create(organization_id: str):
    org = target(organization_id)
    access_form_checked()
    typed, given = connection_input(editing=False)
    try:
        connections().create(access.console_actor(org.id), org.id, given)
    except Invalid as exc:
        errors, status = refusal(exc, CONNECTION_FIELDS, "connection")
        return organization_view(org, errors, typed, status)
    return redirect(back(org.id, "connection_created", "#connections"))


def connection_of(org, connection_id: str):
    try:
        return connections().get(access.console_actor(org.id), org.id, connection_id)
    except NotFound:
        abort(404, _("There is no such connection in this organization."))


@bp.route("/organizations/<organization_id>/connections/<connection_id>", methods=["GET", "POST"])
def organization_connection(organization_id: str, connection_id: str):
    """GET: the connection (its callback URL to register at the provider); POST: its changes saved."""
    org = target(organization_id)
    connection = connection_of(org, connection_id)
    errors, values, status = {}, {}, 200
    if request.method == "POST":
        access_form_checked()
        values, given = connection_input(editing=True)
        try:
            connections().update(access.console_actor(org.id), org.id, connection.id, given,
                                 request.form.get("version", "")[:64] or "-")
            return redirect(url_for("admin.organization_connection", organization_id=org.id,
                                    connection_id=connection.id, done="saved"))
        except (Invalid, PreconditionFailed, NotFound) as exc:
            errors, status = refusal(exc, CONNECTION_FIELDS, "connection")
    done = request.args.get("done")
    return render_template(
        "admin/organization_connection.html", org=org, connection=connections().document(connection),
        version=connection_version(connection), fields=[f for f in CONNECTION_FIELDS if not f.creating_only],
        kind_labels=KIND_LABELS, errors=errors, values=values, form=ActionForm(),
        message=_(CONNECTION_MESSAGES[done]) if done in CONNECTION_MESSAGES and not errors else None), status


@bp.post("/organizations/<organization_id>/connections/<connection_id>/delete")
def organization_connection_delete(organization_id: str, connection_id: str):
    org = target(organization_id)
    connection = connection_of(org, connection_id)
    return ask_then(
        lambda: connections().delete(access.console_actor(org.id), org.id, connection.id),
        done=back(org.id, "connection_deleted", "#connections"),
        title=_("Delete the connection %(label)s?", label=connection.label),
        question=_("Its users keep their accounts and memberships, and sign in another way from now on."),
        button=_("Delete the connection"),
        cancel=url_for("admin.organization_connection", organization_id=org.id, connection_id=connection.id))
