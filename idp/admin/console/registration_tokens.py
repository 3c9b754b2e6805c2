"""Registration tokens: initial access tokens for dynamic client registration (RFC 7591 3), as
`idp clients registration-token` (and the admin API's /registration-tokens) hand them out. The
value is shown once, on the page that made it (Cache-Control: no-store); the list shows what is
stored (the SHA-256 that names it, uses left, dates), never a value. Revoking asks first."""

from __future__ import annotations

from flask import abort, g, make_response, render_template, request, url_for

import idp.admin.console.backend as backend
from idp.admin.console.blueprint import bp
from idp.admin.console.forms import ActionForm, RegistrationTokenForm
from idp.admin.console.pages import PAGE_SIZE, ask_then, cursor_from_request, cursor_link, utc
from idp.administration import Invalid
from idp.administration.registration_tokens import MAX_USES
from idp.i18n import gettext as _

# How long a new token lives (seconds -> label): a short list within the service's 60 s .. 30 days.
LIFETIMES = {3600: "1 hour", 86400: "1 day", 7 * 86400: "7 days", 30 * 86400: "30 days"}
BAD_USES = "The number of uses is a whole number from 1 to %(max)s."
REVOKE_TOKEN_QUESTION = "Registrations with the token %(id)s… are refused from now on. Clients it registered stay."
NOT_TOKEN_MODE = ("Dynamic registration does not ask for a token now (REGISTRATION_MODE is %(mode)s): tokens made "
                  "here are needed only once it is token.")


def page(form=None, error: str | None = None, status: int = 200):
    after = cursor_from_request()
    rows = backend.registration_tokens(after, PAGE_SIZE)
    mode = backend.registration_mode()
    form = form or RegistrationTokenForm(uses="1", expires_in="86400")
    return render_template("admin/registration_tokens.html", tokens=rows.items, form=form, action_form=ActionForm(),
                           lifetimes=LIFETIMES, max_uses=MAX_USES, error=error, utc=utc,
                           mode_note=_(NOT_TOKEN_MODE, mode=mode) if mode != "token" else None,
                           next_cursor=cursor_link(rows.next_key), first_page=after is None,
                           revoked=request.args.get("revoked") == "1"), status


@bp.get("/registration-tokens")
def tokens():
    return page()


def uses_of(text: str | None) -> int | None:
    """Looked at as text first: "²".isdigit() is true and int("²") raises."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else None


@bp.post("/registration-tokens/new")
def token_create():
    form = RegistrationTokenForm()
    if not form.validate_on_submit():
        return page(form, _("Choose how many uses and how long the token lives."), 400)
    uses = uses_of(form.uses.data)
    lifetime = {str(seconds): seconds for seconds in LIFETIMES}.get(form.expires_in.data)
    if uses is None or lifetime is None:
        return page(form, _(BAD_USES, max=MAX_USES) if uses is None else _("Choose one of the lifetimes offered."),
                    400)
    try:
        token, value = backend.create_registration_token(g.admin, uses, lifetime)
    except Invalid:
        return page(form, _(BAD_USES, max=MAX_USES), 400)
    response = make_response(render_template("admin/registration_token.html", token=token, value=value, utc=utc))
    response.headers["Cache-Control"] = "no-store"  # the value is on this page only: never kept by a cache
    return response


@bp.post("/registration-tokens/<token_id>/revoke")
def token_revoke(token_id: str):
    token = backend.registration_token(token_id)
    if token is None:
        abort(404, _("There is no such registration token."))
    return ask_then(lambda: backend.revoke_registration_token(g.admin, token.id),
                    done=url_for("admin.tokens", revoked="1"), title=_("Revoke this registration token?"),
                    button=_("Revoke"), question=_(REVOKE_TOKEN_QUESTION, id=token.id[:12]),
                    cancel=url_for("admin.tokens"))
