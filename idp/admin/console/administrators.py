"""Administrators: who may enter the console, as `idp admins list|grant|revoke` (and the admin
API's /admins) manage them. Granting is by email and idempotent; revoking asks first, takes the
console away at once, and is refused for the last administrator (nobody could enter to make
another without a shell)."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for

import idp.admin.console.backend as backend
from idp.admin.console.blueprint import bp
from idp.admin.console.forms import ActionForm, AdministratorGrantForm
from idp.admin.console.pages import PAGE_SIZE, ask_first, cursor_from_request, cursor_link, utc
from idp.administration import NotFound
from idp.administration.errors import Conflict
from idp.i18n import gettext as _

REVOKE_QUESTION = "%(email)s can no longer enter the console, from their next request on."
REVOKE_SELF_QUESTION = ("You can no longer enter the console once this is done: another administrator must grant it"
                        " back.")
LAST_ADMIN = "%(email)s is the last administrator: grant another one first."
NO_SUCH_USER = "There is no user with this email: they sign up first, or you create the account."
MESSAGES = {"granted": "%(email)s is now an administrator.",
            "already": "%(email)s already was an administrator.",
            "revoked": "%(email)s is no longer an administrator."}


def page(form=None, error: str | None = None, status: int = 200):
    after = cursor_from_request()
    rows, second_factor = backend.administrators(after, PAGE_SIZE)
    done, email = request.args.get("done"), request.args.get("email", "")[:320]
    return render_template("admin/administrators.html", administrators=rows.items, second_factor=second_factor,
                           form=form or AdministratorGrantForm(), action_form=ActionForm(), error=error, utc=utc,
                           next_cursor=cursor_link(rows.next_key), first_page=after is None,
                           message=_(MESSAGES[done], email=email) if done in MESSAGES and email else None), status


@bp.get("/administrators")
def administrators():
    return page()


@bp.post("/administrators/grant")
def administrator_grant():
    form = AdministratorGrantForm()
    if not form.validate_on_submit():
        return page(form, _("Enter the email of an existing account."), 400)
    target = backend.user_by_email(form.email.data.strip())
    if target is None:
        return page(form, _(NO_SUCH_USER), 400)
    made = backend.grant_administrator(g.admin, target)
    return redirect(url_for("admin.administrators", done="granted" if made else "already", email=target.email))


@bp.post("/administrators/<user_id>/revoke")
def administrator_revoke(user_id: str):
    target = backend.administrator(user_id)
    if target is None:
        abort(404, _("There is no such administrator."))
    yourself = target.user_id == g.admin.id
    asked = ask_first(title=_("Revoke the console from %(email)s?", email=target.email), button=_("Revoke"),
                      question=_(REVOKE_SELF_QUESTION) if yourself else _(REVOKE_QUESTION, email=target.email),
                      cancel=url_for("admin.administrators"))
    if asked is not None:
        return asked
    try:
        backend.revoke_administrator(g.admin, target.user_id)
    except Conflict:
        abort(409, _(LAST_ADMIN, email=target.email))
    except NotFound:
        pass  # revoked meanwhile by another administrator: the list shows what is there now
    return redirect(url_for("admin.administrators", done="revoked", email=target.email))
