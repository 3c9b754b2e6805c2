"""Clients: the list, creating one (the secret shown once, with a copy button), editing its
name, redirect URIs and scopes (and, for a confidential client, token exchange), rotating its
secret, and deleting it after a confirmation that names it."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for

import idp.admin.console.backend as backend
from idp.admin.console.blueprint import bp
from idp.admin.console.forms import ActionForm, ClientForm
from idp.admin.console.listing import searched
from idp.admin.console.pages import ask_first, ask_then
from idp.administration import Invalid, NotFound, PreconditionFailed
from idp.administration.client_policy import EXCHANGE_GRANT
from idp.apis.claim_mappings import mappings_as_lines, mappings_from_lines
from idp.i18n import gettext as _

NOT_SAVED = "The client was not saved: %(reasons)s"
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


def redirect_uris_of(text: str) -> list[str]:
    """One URI (or origin) per line; the service checks each like a registration (RFC 7591 2, RFC 9700 2.1)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def refusal(exc: Invalid) -> str:
    return _(NOT_SAVED, reasons="; ".join(f"{field}: {why}" for field, why in exc.errors.items()))


def client_page(form, template_vars: dict, status: int = 200):
    return render_template("admin/client_form.html", form=form, grace_periods=GRACE_PERIODS, **template_vars), status


@bp.route("/clients/new", methods=["GET", "POST"])
def client_new():
    form = ClientForm()
    if request.method == "GET":
        form.scope.data = "openid profile email offline_access"
    if not form.validate_on_submit():
        return client_page(form, {"creating": True}, 400 if request.method == "POST" else 200)
    try:
        created, secret = backend.create_client(g.admin, form.name.data.strip(),
                                                redirect_uris_of(form.redirect_uris.data), form.public.data,
                                                " ".join(form.scope.data.split()),
                                                redirect_uris_of(form.allowed_origins.data))
    except Invalid as exc:
        return client_page(form, {"creating": True, "uri_error": refusal(exc)}, 400)
    return render_template("admin/client_secret.html", client=created, secret=secret, created=True)


def target_client(client_id: str):
    found = backend.client(client_id)
    if found is None or found.client_id == backend.CONSOLE_CLIENT_ID:
        abort(404, _("There is no such client."))  # the console's own client is managed by the console itself
    return found


@bp.route("/clients/<client_id>", methods=["GET", "POST"])
def client_edit(client_id: str):
    target = target_client(client_id)
    form = ClientForm()
    if request.method == "GET":
        form.name.data, form.scope.data = target.name, target.scope
        form.redirect_uris.data = "\n".join(target.redirect_uris)
        form.allowed_origins.data = "\n".join(target.client_metadata.get("allowed_origins") or ())
        form.token_exchange.data = EXCHANGE_GRANT in target.grant_types
        form.exchange_impersonation.data = bool(target.client_metadata.get("token_exchange_impersonation"))
        form.exchange_refresh_tokens.data = bool(target.client_metadata.get("token_exchange_refresh_tokens"))
        form.claim_mappings.data = mappings_as_lines(target.claim_mappings)
    page_vars = {"creating": False, "client": target, "action_form": ActionForm()}
    if not form.validate_on_submit():
        return client_page(form, page_vars, 400 if request.method == "POST" else 200)
    exchange = None if target.is_public else {"enabled": form.token_exchange.data,
                                              "impersonation": form.exchange_impersonation.data,
                                              "refresh_tokens": form.exchange_refresh_tokens.data}
    try:
        backend.update_client(g.admin, target.client_id, form.name.data.strip(),
                              redirect_uris_of(form.redirect_uris.data), " ".join(form.scope.data.split()),
                              redirect_uris_of(form.allowed_origins.data), exchange,
                              mappings_from_lines(form.claim_mappings.data) if "claim_mappings" in request.form
                              else None)
    except Invalid as exc:
        return client_page(form, {**page_vars, "uri_error": refusal(exc)}, 400)
    except (NotFound, PreconditionFailed):
        return redirect(url_for("admin.clients"))
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
