"""Webhooks (issue 35): the endpoints signed webhooks go to, as `idp webhooks` and the admin API's
/webhooks manage them (idp/events/admin.py, the administrator as the actor). Creating one, or
rotating its secret, shows the whsec_ secret on that page only (Cache-Control: no-store); an
endpoint's page lists its deliveries newest first, each with its attempts, and replays one."""

from __future__ import annotations

from flask import abort, g, make_response, redirect, render_template, request, url_for

from idp.admin.console.backend import actor
from idp.admin.console.blueprint import bp
from idp.admin.console.forms import ActionForm, WebhookForm
from idp.admin.console.pages import PAGE_SIZE, ask_first, ask_then, cursor_from_request, cursor_link, utc
from idp.administration import Invalid, NotFound, PreconditionFailed
from idp.events.admin import DEFAULT_OVERLAP, WebhookAdmin
from idp.events.types import EVENT_TYPES
from idp.i18n import gettext as _
from idp.plumbing.context import services

DELETE_QUESTION = "Webhooks stop going to %(url)s, and its deliveries are forgotten."
ROTATE_QUESTION = ("A new secret signs every webhook from now on; the current one signs them too for a day, while "
                   "the receiver is given the new one.")
NOT_DONE = "Not done: %(reasons)s"


def admin() -> WebhookAdmin:
    return WebhookAdmin(services())


def endpoint_or_404(endpoint_id: str):
    try:
        return admin().get(endpoint_id)
    except NotFound:
        abort(404, _("There is no such webhook endpoint."))


def shown_once(endpoint, secret: str, created: bool):
    response = make_response(render_template("admin/webhook_secret.html", endpoint=endpoint, secret=secret,
                                             created=created))
    response.headers["Cache-Control"] = "no-store"  # the secret is on this page only
    return response


def list_page(form=None, error: str | None = None, status: int = 200, checked=()):
    after = cursor_from_request()
    try:
        rows = admin().list(after=after, limit=PAGE_SIZE)
    except Invalid:
        rows = admin().list(limit=PAGE_SIZE)
    return render_template("admin/webhooks.html", endpoints=rows.items, form=form or WebhookForm(),
                           event_types=EVENT_TYPES, checked=set(checked), error=error, utc=utc,
                           next_cursor=cursor_link(rows.next_key), first_page=after is None,
                           deleted=request.args.get("deleted") == "1"), status


@bp.get("/webhooks")
def webhooks():
    return list_page()


@bp.post("/webhooks/new")
def webhook_create():
    form = WebhookForm()
    checked = request.form.getlist("event_types")
    if not form.validate_on_submit():
        return list_page(form, _("Give the endpoint's URL (https)."), 400, checked)
    fields = {"url": form.url.data.strip(), "event_types": checked, "description": form.description.data or None}
    try:
        endpoint, secret = admin().create(actor(g.admin), fields)
    except Invalid as refused:
        return list_page(form, _(NOT_DONE, reasons=str(refused)), 400, checked)
    return shown_once(endpoint, secret, created=True)


def endpoint_page(endpoint, status: int = 200, notice: str | None = None):
    after = cursor_from_request()
    state = request.args.get("state") or None
    try:
        rows = admin().deliveries(endpoint.id, state=state, after=after, limit=PAGE_SIZE)
    except Invalid:
        state, after = None, None
        rows = admin().deliveries(endpoint.id, limit=PAGE_SIZE)
    return render_template("admin/webhook.html", endpoint=endpoint, deliveries=rows.items, state=state,
                           action_form=ActionForm(), utc=utc, done_notice=notice,
                           next_cursor=cursor_link(rows.next_key), first_page=after is None), status


@bp.get("/webhooks/<endpoint_id>")
def webhook(endpoint_id: str):
    notice = {"replayed": _("The event was queued again."), "enabled": _("The endpoint is enabled."),
              "disabled": _("The endpoint is disabled.")}.get(request.args.get("done", ""))
    return endpoint_page(endpoint_or_404(endpoint_id), notice=notice)


@bp.get("/webhooks/<endpoint_id>/deliveries/<delivery_id>")
def webhook_delivery(endpoint_id: str, delivery_id: str):
    endpoint = endpoint_or_404(endpoint_id)
    try:
        delivery, attempts = admin().delivery(endpoint.id, delivery_id)
    except NotFound:
        abort(404, _("There is no such delivery."))
    return render_template("admin/webhook_delivery.html", endpoint=endpoint, delivery=delivery, attempts=attempts,
                           action_form=ActionForm(), utc=utc)


@bp.post("/webhooks/<endpoint_id>/deliveries/<delivery_id>/replay")
def webhook_replay(endpoint_id: str, delivery_id: str):
    endpoint = endpoint_or_404(endpoint_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        admin().replay(actor(g.admin), endpoint.id, delivery_id)
    except NotFound:
        abort(404, _("There is no such delivery."))
    return redirect(url_for("admin.webhook", endpoint_id=endpoint.id, done="replayed"))


@bp.post("/webhooks/<endpoint_id>/<any(enable, disable):action>")
def webhook_toggle(endpoint_id: str, action: str):
    endpoint = endpoint_or_404(endpoint_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        admin().update(actor(g.admin), endpoint.id, {"enabled": action == "enable"})
    except (NotFound, PreconditionFailed):
        pass  # deleted or changed meanwhile: the page shows what is there now
    return redirect(url_for("admin.webhook", endpoint_id=endpoint.id, done=f"{action}d"))


@bp.post("/webhooks/<endpoint_id>/rotate-secret")
def webhook_rotate(endpoint_id: str):
    endpoint = endpoint_or_404(endpoint_id)
    page = ask_first(title=_("Rotate the signing secret?"), question=_(ROTATE_QUESTION), button=_("Rotate"),
                     cancel=url_for("admin.webhook", endpoint_id=endpoint.id))
    if page is not None:
        return page
    try:
        rotated, secret = admin().rotate_secret(actor(g.admin), endpoint.id, DEFAULT_OVERLAP)
    except (NotFound, PreconditionFailed):
        return redirect(url_for("admin.webhook", endpoint_id=endpoint.id))
    return shown_once(rotated, secret, created=False)


@bp.post("/webhooks/<endpoint_id>/delete")
def webhook_delete(endpoint_id: str):
    endpoint = endpoint_or_404(endpoint_id)
    return ask_then(lambda: admin().delete(actor(g.admin), endpoint.id), done=url_for("admin.webhooks", deleted="1"),
                    title=_("Delete this webhook endpoint?"), button=_("Delete"),
                    question=_(DELETE_QUESTION, url=endpoint.url), cancel=url_for("admin.webhook",
                                                                                 endpoint_id=endpoint.id))
