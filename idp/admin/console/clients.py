"""Clients: the list, creating one (its application type first, then every field the admin API takes;
the secret shown once, with a copy button), editing it, rotating its secret, and deleting it after a
confirmation that names it. The form is client_form's; ClientAdmin (as the admin API) judges it, and
every wrong field is marked at once with the typed values kept."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for

import idp.admin.console.backend as backend
from idp.admin.console.blueprint import bp
import idp.admin.console.client_form as client_form
import idp.admin.console.form_model as form_model
from idp.admin.console.client_apis import api_choices, target_client
from idp.admin.console.forms import ActionForm
from idp.admin.console.registry import Refused, refusal_page
from idp.admin.console.pages import ask_first, ask_then
from idp.administration import Duplicate, Invalid, NotFound, PreconditionFailed
from idp.admin.console.listing import searched
from idp.i18n import gettext as _

NOT_SAVED_FIELDS = "The client was not saved: check the fields marked below (%(count)s)."
# A service field that no input sets but one holds the mistake of: response_types follows the grant types.
ALIASES = {"response_types": "grant_types"}
ROTATE_SECRET_QUESTION = (
    "The current secret of %(name)s stops working at once: the application needs the new one before it "
    "can get tokens again."
)
ROTATE_WITH_GRACE_QUESTION = (
    "The current secret of %(name)s keeps working for %(grace)s, time to deploy the new one; then only the "
    "new one works."
)
# The grace periods the console offers (seconds -> label): a short list an operator picks from, all
# within the service's MAX_GRACE_SECONDS; the admin API takes any value up to it.
GRACE_PERIODS = {0: "not at all", 3600: "1 hour", 86400: "1 day", 7 * 86400: "7 days"}
DELETE_CLIENT_QUESTION = "%(name)s (%(id)s) and every token and consent it holds are removed. This cannot be undone."


@bp.get("/clients")
def clients():
    """Clients whose name or client_id holds ?q= (idp/admin/console/listing.py), oldest first."""
    return render_template("admin/clients.html", listing=searched(backend.client_admin_service().list, "clients"),
                           console_id=backend.CONSOLE_CLIENT_ID)


def client_page(values: dict, template_vars: dict, errors: dict | None = None):
    """The form (creating or editing), each wrong field marked with why, the typed values kept."""
    errors = {name: _(why) for name, why in (errors or {}).items()}
    labels = {f.name: _(f.label) for f in client_form.FIELDS}
    return render_template("admin/client_form.html", values=values, errors=errors, labels=labels,
                           sections=client_form.SECTIONS, app_type=client_form.APP_TYPE, app_types=client_form.APP_TYPES,
                           choices=choices(), grace_periods=GRACE_PERIODS,
                           summary=_(NOT_SAVED_FIELDS, count=len(errors)) if errors else None,
                           **template_vars), 400 if errors else 200


def choices() -> dict:
    """What each choice field offers: the service's allowed values on this server."""
    offered = dict(backend.client_choices())
    offered["grant_types"] = tuple(g for g in offered["grant_types"] if g in client_form.GRANT_CHOICES)
    offered["app_type"] = tuple(client_form.APP_TYPES)
    return offered


def saved(work, fields_wrong: dict):
    """work(dry_run) through ClientAdmin, or (None, form field -> why) with every wrong field: the
    form's own and the service's together (with mistakes of its own, the form has the service only
    check, so nothing half-right is stored)."""
    try:
        done = work(bool(fields_wrong))
    except Invalid as exc:
        return None, {**form_model.field_errors(exc.errors, client_form.FIELDS, ALIASES), **fields_wrong}
    except Duplicate as exc:  # a chosen client ID that is taken
        return None, {**fields_wrong, exc.field: str(exc)}
    return (None, fields_wrong) if fields_wrong else (done, {})


@bp.route("/clients/new", methods=["GET", "POST"])
def client_new():
    if request.method == "GET":
        kind = request.args.get("type", "web")
        return client_page(client_form.initial_values(kind if kind in client_form.APP_TYPES else "web"),
                           {"creating": True, "form": ActionForm()})
    if not ActionForm().validate_on_submit():
        abort(400, _("The form expired: open it again."))
    values = form_model.submitted_values(client_form.FIELDS)
    fields, wrong = client_form.metadata_of(values, creating=True)
    done, errors = saved(lambda dry: backend.create_client(g.admin, fields, dry), wrong)
    if errors:
        return client_page(values, {"creating": True, "form": ActionForm()}, errors)
    created, secret = done
    return render_template("admin/client_secret.html", client=created, secret=secret, created=True)


def edit_vars(target) -> dict:
    return {"creating": False, "client": target, "form": ActionForm(), "action_form": ActionForm(),
            "version": backend.client_version(target), **api_choices(target)}


@bp.route("/clients/<client_id>", methods=["GET", "POST"])
def client_edit(client_id: str):
    target = target_client(client_id)
    if request.method == "GET":
        return client_page(client_form.values_of(target), edit_vars(target))
    if not ActionForm().validate_on_submit():
        abort(400, _("The form expired: open it again."))
    values = form_model.submitted_values(client_form.FIELDS)
    values["app_type"] = client_form.kind_of(target)  # fixed once created (its credentials follow from it)
    changes, wrong = client_form.metadata_of(values, creating=False, current=target)
    version = request.form.get("version", "")[:128] or None  # the version the page showed (RFC 9110 13.1.1)
    try:
        _done, errors = saved(lambda dry: backend.update_client(g.admin, target.client_id, changes, dry, version),
                              wrong)
    except PreconditionFailed:
        return refusal_page(Refused({}, 409), url_for("admin.client_edit", client_id=target.client_id))
    except NotFound:
        return redirect(url_for("admin.clients"))
    if errors:
        return client_page(values, edit_vars(target), errors)
    return redirect(url_for("admin.clients"))


@bp.post("/clients/<client_id>/secret")
def client_rotate_secret(client_id: str):
    target = target_client(client_id)
    # Looked up by its text, not int(): "²".isdigit() is true and int("²") raises.
    grace = {str(seconds): seconds for seconds in GRACE_PERIODS}.get(request.form.get("grace_seconds", "0"))
    if grace is None:
        abort(400, _("Choose one of the grace periods offered."))
    question = (_(ROTATE_WITH_GRACE_QUESTION, name=target.name, grace=_(GRACE_PERIODS[grace])) if grace
                else _(ROTATE_SECRET_QUESTION, name=target.name))
    page = ask_first(title=_("Rotate the secret of %(name)s?", name=target.name), question=question,
                     button=_("Rotate the secret"), cancel=url_for("admin.client_edit", client_id=target.client_id),
                     fields={"grace_seconds": str(grace)})
    if page is not None:
        return page
    secret = backend.rotate_client_secret(g.admin, target, grace)
    if secret is None:
        abort(400, _("This client has no shared secret to rotate."))
    return render_template("admin/client_secret.html", client=target, secret=secret, created=False,
                           grace=_(GRACE_PERIODS[grace]) if grace else None)


@bp.post("/clients/<client_id>/delete")
def client_delete(client_id: str):
    target = target_client(client_id)
    return ask_then(lambda: backend.delete_client(g.admin, target.client_id), done=url_for("admin.clients"),
                    title=_("Delete the client %(name)s?", name=target.name),
                    question=_(DELETE_CLIENT_QUESTION, name=target.name, id=target.client_id),
                    button=_("Delete %(name)s", name=target.name),
                    cancel=url_for("admin.client_edit", client_id=target.client_id))
