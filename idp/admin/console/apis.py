"""Registered APIs (resource servers, issue 21): the list, registering one, its page (its scopes,
roles and allowed clients, with a form to change it) and deleting it after a confirmation. Changes
are conditional on the version the page showed: someone else's change meanwhile gives a 409 page,
never a lost update. Roles and allowed clients are api_access.py."""

from __future__ import annotations

import re

from flask import g, redirect, render_template, request, url_for

import idp.admin.console.backend as backend
import idp.admin.console.form_model as form_model
from idp.admin.console.blueprint import bp
from idp.admin.console.forms import ActionForm
from idp.admin.console.forms_apis import ApiForm, RoleForm
from idp.admin.console.listing import searched
from idp.admin.console.pages import PAGE_SIZE, cursor_from_request, cursor_link
from idp.admin.console.registry import (
    Refused,
    actor,
    api_admin,
    confirmed_then,
    found_or_404,
    keyset_page,
    refusal_page,
    refusals,
)
from idp.administration.apis import api_version
from idp.apis.claim_mappings import mappings_as_lines, mappings_from_lines
from idp.i18n import gettext as _

DELETE_API_QUESTION = (
    "%(name)s (%(identifier)s), its roles and their assignments, and every client's permission to ask tokens "
    "for it are removed. Tokens already issued for it stay valid until they expire."
)
DIGITS = re.compile(r"[0-9]{1,10}")


@bp.get("/apis")
def apis():
    """APIs whose name or identifier holds ?q= (idp/admin/console/listing.py), by identifier."""
    return render_template("admin/apis.html", listing=searched(api_admin().list, "apis"))


def target_api(api_id: str):
    return found_or_404(api_admin().get, api_id, _("There is no such API."))


def api_fields(form: ApiForm) -> dict:
    """The form as the service's fields: one scope a line ("scope description"), the role scopes
    separated by spaces, an empty lifetime or resource server for none."""
    scopes = {}
    for line in (form.scopes.data or "").splitlines():
        if line.strip():
            scope, _space, description = line.strip().partition(" ")
            scopes[scope] = description.strip()
    ttl = (form.access_token_ttl.data or "").strip()
    return {"identifier": (form.identifier.data or "").strip(), "name": form.name.data or "", "scopes": scopes,
            "role_scopes": (form.role_scopes.data or "").split(),
            "access_token_ttl": int(ttl) if DIGITS.fullmatch(ttl) else ttl or None,
            "dpop_only": bool(form.dpop_only.data),
            "resource_server": (form.resource_server.data or "").strip() or None,
            # a form made before the field existed leaves the mappings as they are
            **({"claim_mappings": mappings_from_lines(form.claim_mappings.data)}
               if "claim_mappings" in request.form else {})}


def fill(form: ApiForm, api) -> None:
    form.identifier.data, form.name.data = api.identifier, api.name
    form.scopes.data = "\n".join(f"{scope} {description}".strip() for scope, description in api.scopes.items())
    form.role_scopes.data = " ".join(api.role_scopes)
    form.access_token_ttl.data = str(api.access_token_ttl or "")
    form.dpop_only.data, form.resource_server.data = api.dpop_only, api.resource_server or ""
    form.version.data = api_version(api)
    form.claim_mappings.data = mappings_as_lines(api.claim_mappings)


def api_page(form: ApiForm, api=None, error: str | None = None, status: int = 200, errors: dict | None = None):
    """errors: each wrong field and why (form_model.field_errors), marked on its field and in the summary."""
    page_vars = {"form": form, "api": api, "error": error, "errors": errors or {}}
    if api is not None:
        roles_after, clients_after = cursor_from_request("roles_after"), cursor_from_request("clients_after")
        roles = keyset_page(api_admin().roles, roles_after, PAGE_SIZE, api.id)
        allowed = keyset_page(api_admin().clients, clients_after, PAGE_SIZE, api.id)
        page_vars.update(roles=roles.items, roles_next=cursor_link(roles.next_key), roles_first=roles_after is None,
                         allowed=allowed.items, clients_next=cursor_link(allowed.next_key),
                         clients_first=clients_after is None, action_form=ActionForm(), role_form=RoleForm(),
                         **client_options(),
                         message=_(MESSAGES[request.args["done"]]) if request.args.get("done") in MESSAGES else None)
    return render_template("admin/api.html", **page_vars), status


CLIENT_CHOICES = 200  # clients offered at once in the "allow a client" list, oldest first; `clients_offered_after` pages on


def client_options() -> dict:
    """The clients to choose from by name (never a typed id), a keyset page at a time."""
    page = backend.clients(cursor_from_request("clients_offered_after"), CLIENT_CHOICES)
    return {"client_select": [(c.client_id, f"{c.name} ({c.client_id})") for c in page.items
                              if c.client_id != backend.CONSOLE_CLIENT_ID],
            "client_options_next": cursor_link(page.next_key)}


MESSAGES = {"saved": "The API was saved.", "role": "The role was created.", "assigned": "The role was assigned.",
            "unassigned": "The role was taken back.", "role_deleted": "The role was deleted.",
            "allowed": "The client may now ask tokens for this API.",
            "disallowed": "The client may no longer ask tokens for this API."}


def refused_page(form: ApiForm, refused: Refused, api=None):
    """The form again, the typed values kept, every wrong field marked with why (and listed on top)."""
    errors = {name: _(why) for name, why in form_model.field_errors(refused.reasons, ()).items()}
    return api_page(form, api, error=_("Not saved: check the fields marked below (%(count)s).", count=len(errors)),
                    status=400, errors=errors)


def too_long() -> str | None:
    """Why a posted form failed its own checks (the CSRF token is checked before the view runs)."""
    return _("Not saved: a field is too long.") if request.method == "POST" else None


@bp.route("/apis/new", methods=["GET", "POST"])
def api_new():
    form = ApiForm()
    if not form.validate_on_submit():
        return api_page(form, error=too_long(), status=400 if request.method == "POST" else 200)
    try:
        with refusals():
            created = api_admin().create(actor(g.admin), api_fields(form))
    except Refused as refused:
        return refused_page(form, refused)
    return redirect(url_for("admin.api_edit", api_id=created.id))


@bp.route("/apis/<api_id>", methods=["GET", "POST"])
def api_edit(api_id: str):
    target = target_api(api_id)
    form = ApiForm()
    if request.method == "GET":
        fill(form, target)
    if not form.validate_on_submit():
        return api_page(form, target, error=too_long(), status=400 if request.method == "POST" else 200)
    try:
        with refusals():
            api_admin().update(actor(g.admin), target.id, api_fields(form), form.version.data or "-")
    except Refused as refused:
        if refused.status == 409:
            return refusal_page(refused, url_for("admin.api_edit", api_id=target.id))
        return refused_page(form, refused, target)
    return redirect(url_for("admin.api_edit", api_id=target.id, done="saved"))


@bp.post("/apis/<api_id>/delete")
def api_delete(api_id: str):
    target = target_api(api_id)
    version = request.form.get("version", "")[:64]
    back = url_for("admin.api_edit", api_id=target.id)
    return confirmed_then(lambda: api_admin().delete(actor(g.admin), target.id, version or "-"), back=back,
                          done=url_for("admin.apis"), title=_("Delete the API %(name)s?", name=target.name),
                          question=_(DELETE_API_QUESTION, name=target.name, identifier=target.identifier),
                          button=_("Delete %(name)s", name=target.name), fields={"version": version})
