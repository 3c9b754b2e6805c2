"""Users: search and pages of results, creating one (as `idp users create` and POST /users); a user's page (sessions, linked identities, grants,
second factors, passkeys) and what an administrator may do to the account, each destructive action
behind a confirmation step."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for

import idp.admin.console.backend as backend
import idp.admin.console.form_model as form_model
import idp.admin.console.holdings as holdings
from idp.admin.console.blueprint import bp
from idp.admin.console.forms import ActionForm, UserCreateForm
from idp.admin.console.listing import searched
from idp.admin.console.pages import ask_first, utc
from idp.admin.console.user_metadata import metadata_form
from idp.administration import Duplicate, Invalid
from idp.administration.errors import Conflict
from idp.i18n import gettext as _
from idp.web.account import describe_browser, since

DISABLE_QUESTION = (
    "%(email)s will be signed out everywhere, every token they hold revoked, and they will not be able to"
    " sign in until the account is enabled again."
)
END_SESSIONS_QUESTION = "%(email)s will be signed out of every browser; applications that asked for it are told."
REMOVE_PASSKEYS_QUESTION = (
    "Every passkey of %(email)s is removed (a lost or stolen device): they sign in with their password, a"
    " reset email or a recovery code, and may add passkeys again."
)
REVOKE_GRANT_QUESTION = "%(client)s loses the access %(email)s granted it: its refresh and access tokens stop working."
LAST_ADMINISTRATOR = ("%(email)s is the last administrator who can enter the console: grant another one (or enable"
                      " one) first.")
DELETE_USER_QUESTION = (
    "The account %(email)s, its sessions, tokens, consents and second factors are removed. This cannot be"
    " undone."
)


@bp.get("/users")
def users():
    """Users whose email or name holds ?q= (idp/admin/console/listing.py), by email."""
    return render_template("admin/users.html", listing=searched(backend.user_admin().list, "users"))


# What the new-user page says of a field the service refused (the password: the policy's own message).
FIELD_ERRORS = {"email": "Enter an email address (at most 320 characters).",
                "name": "Use at most 255 characters, without control characters.",
                "send_email": "Choose one of the emails offered."}
TOO_LONG = "Use at most 128 characters."  # the password policy's message (idp/accounts/passwords.py)
DUPLICATE_EMAIL = "An account with this email address exists already."
SEND_EMAIL = {"": "No email", "verification": "Ask them to confirm the address",
              "set_password": "A link to choose their password"}


def new_user_page(form, errors: dict | None = None):
    errors = errors or {}
    return render_template("admin/user_new.html", form=form, errors=errors, send_email=SEND_EMAIL,
                           error=_("The account was not created: check the fields marked.") if errors else None
                           ), 400 if errors else 200


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = UserCreateForm()
    if request.method == "GET":
        form.send_email.data = "set_password"
        return new_user_page(form)
    if not form.validate_on_submit():  # a field over its bound (the CSRF token was checked before the view)
        return new_user_page(form, {field: _(FIELD_ERRORS.get(field, TOO_LONG)) for field in form.errors})
    try:
        created = backend.create_user(g.admin, email=form.email.data or "", name=form.name.data or None,
                                      password=form.password.data or None, email_verified=form.email_verified.data,
                                      send_email=form.send_email.data or None)
    except Invalid as exc:
        return new_user_page(form, {field: _(FIELD_ERRORS.get(field, form_model.plain(why)))
                                    for field, why in exc.errors.items()})
    except Duplicate:
        return new_user_page(form, {"email": _(DUPLICATE_EMAIL)})
    return redirect(url_for("admin.user", user_id=created.id, done="created"))


def target_user(user_id: str):
    found = backend.user(user_id) if len(user_id) <= 36 else None
    if found is None:
        abort(404, _("There is no such user."))
    return found


@bp.get("/users/<user_id>")
def user(user_id: str):
    details = backend.user_details(target_user(user_id).id)
    sessions = [dict(handle=s.handle, device=describe_browser(s.user_agent), ip=s.ip, when=since(s.created))
                for s in details.sessions]
    return render_template("admin/user.html", d=details, sessions=sessions, form=ActionForm(), utc=utc,
                           metadata_form=metadata_form(details.user),
                           held=holdings.of_user(details.user.id),
                           message=_(MESSAGES[request.args["done"]]) if request.args.get("done") in MESSAGES else None)


MESSAGES = {"created": "The account was created.",
            "disabled": "The account is disabled: its sessions were ended and its tokens revoked.",
            "enabled": "The account can sign in again.",
            "sessions": "Every session of this user was ended.",
            "passkeys": "Every passkey of this user was removed.",
            "grant": "That application's access was revoked.",
            "metadata": "The metadata was saved: the user's next tokens carry it."}


def act(user_id: str, **question):
    """The confirmation step of an action on a user's page (None: confirmed)."""
    return ask_first(cancel=url_for("admin.user", user_id=user_id), **question)


def act_then_show(target, do, done: str, **question):
    """Ask first (act's arguments); once confirmed, do() and show the user's page saying what was done."""
    page = act(target.id, **question)
    if page is not None:
        return page
    refusing_the_last_administrator(target, do)
    return redirect(url_for("admin.user", user_id=target.id, done=done))


@bp.post("/users/<user_id>/disable")
def user_disable(user_id: str):
    target = target_user(user_id)
    return act_then_show(target, lambda: backend.set_disabled(g.admin, target, True), "disabled",
                         title=_("Disable this account?"), button=_("Disable"),
                         question=_(DISABLE_QUESTION, email=target.email))


@bp.post("/users/<user_id>/enable")
def user_enable(user_id: str):
    target = target_user(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    backend.set_disabled(g.admin, target, False)
    return redirect(url_for("admin.user", user_id=target.id, done="enabled"))


@bp.post("/users/<user_id>/sessions/end")
def user_end_sessions(user_id: str):
    target = target_user(user_id)
    return act_then_show(target, lambda: backend.end_sessions(g.admin, target), "sessions",
                         title=_("End every session?"), button=_("End sessions"),
                         question=_(END_SESSIONS_QUESTION, email=target.email))


@bp.post("/users/<user_id>/passkeys/remove")
def user_remove_passkeys(user_id: str):
    target = target_user(user_id)
    return act_then_show(target, lambda: backend.remove_passkeys(g.admin, target), "passkeys",
                         title=_("Remove every passkey?"), button=_("Remove the passkeys"),
                         question=_(REMOVE_PASSKEYS_QUESTION, email=target.email))


@bp.post("/users/<user_id>/grants/revoke")
def user_revoke_grant(user_id: str):
    target = target_user(user_id)
    client_id = request.form.get("client_id", "")[:64]
    client = backend.client(client_id)
    if client is None:
        abort(404, _("There is no such client."))
    return act_then_show(target, lambda: backend.revoke_grant(g.admin, target, client_id), "grant",
                         title=_("Revoke this access?"), button=_("Revoke"), fields={"client_id": client_id},
                         question=_(REVOKE_GRANT_QUESTION, client=client.name, email=target.email))


@bp.post("/users/<user_id>/delete")
def user_delete(user_id: str):
    target = target_user(user_id)
    if target.id == g.admin.id:
        abort(400, _("You cannot delete your own account from the console."))
    page = act(target.id, title=_("Delete %(email)s?", email=target.email), button=_("Delete the account"),
               question=_(DELETE_USER_QUESTION, email=target.email))
    if page is not None:
        return page
    refusing_the_last_administrator(target, lambda: backend.delete_user(g.admin, target))
    return redirect(url_for("admin.users"))


def refusing_the_last_administrator(target, do):
    """do(); the service's refusal to end the last enabled administrator (idp/administration/users.py) as a 409 page."""
    try:
        return do()
    except Conflict as refusal:
        abort(409, str(refusal))
