"""Sign-up with a passkey instead of a password (where ALLOW_REGISTRATION is on).

1. /register/passkey: name and email, no password — the same answer whether or not the email
   has an account (Accounts.register), and the same verification email;
2. the verification link, once used, proves control of the email: the browser that used it
   may create the account's first passkey within WEBAUTHN_CEREMONY_TTL (a session marker, not a
   signed-in session: creating a credential is not signing in);
3. /register/passkey/create: the registration ceremony; then the user signs in with the passkey.
"""

from __future__ import annotations

import re
import time

from flask import abort, redirect, render_template, request, session, url_for

from idp.accounts.passkeys import PasskeyRefused
from idp.i18n import gettext as _
from idp.observability import audit
from idp.plumbing.context import services
from idp.signin import interactions
from idp.web.blueprint import bp
from idp.web.login import client_of
from idp.web.outcome import outcome
from idp.web.passkey_pages import pop_message, refusal_from_browser, refuse
from idp.web.register import FIELD_ERRORS, check_your_email

_ENROLMENT = "passkey_enrolment"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@bp.route("/register/passkey", methods=["GET", "POST"])
def register_passkey():
    svc = services()
    if not (svc.config.allow_registration and svc.passkeys.enabled):
        abort(404)
    interaction_id = (request.values.get("interaction") or "")[:64] or None
    interaction = interactions.load(interaction_id) if interaction_id else None
    name, email = (request.form.get("name") or "").strip(), (request.form.get("email") or "").strip()
    errors = {}
    if request.method == "POST":
        if not name or len(name) > 255:
            errors["name"] = _(FIELD_ERRORS["name"])
        if not _EMAIL.fullmatch(email) or len(email) > 320:
            errors["email"] = _(FIELD_ERRORS["email"])
        if not errors:
            svc.accounts.register(email, None, name, interaction_id if interaction else None)
            return check_your_email(email)
    return render_template("register_passkey.html", errors=errors, name=name, email=email,
                           interaction=interaction_id if interaction else None,
                           client=client_of(interaction)), 400 if errors else 200


def passkey_enrolment_after_verification(user, interaction_id: str | None):
    """The verify-email page's answer for an account made without a password: create its passkey."""
    svc = services()
    if user.password_hash or not svc.passkeys.enabled or svc.passkeys.has_any(user.id):
        return None
    session[_ENROLMENT] = {"uid": user.id, "until": int(time.time()) + svc.config.webauthn_ceremony_ttl}
    return redirect(url_for("web.register_passkey_create", interaction=interaction_id))


@bp.route("/register/passkey/create", methods=["GET", "POST"])
def register_passkey_create():
    svc = services()
    marker = session.get(_ENROLMENT) or {}
    user = svc.users.by_id(marker["uid"]) if marker.get("until", 0) > time.time() else None
    interaction_id = (request.values.get("interaction") or "")[:64] or None
    if user is None or user.disabled or svc.passkeys.has_any(user.id):
        session.pop(_ENROLMENT, None)
        return redirect(url_for("web.login", interaction=interaction_id))
    if request.method == "POST":
        try:
            if refused := refusal_from_browser(request.form):
                raise refused
            added = svc.passkeys.finish_registration(user, request.form.get("ceremony", ""),
                                                     request.form.get("credential", ""), request.form.get("name"))
        except PasskeyRefused as refused:
            refused.user_id = user.id
            refuse("passkey.add_failed", refused, sign_in=False)
            return redirect(url_for("web.register_passkey_create", interaction=interaction_id))
        session.pop(_ENROLMENT, None)
        audit.record("passkey.added", user_id=user.id, passkey_id=added.id, backup_eligible=added.backup_eligible,
                     at_sign_up=True)
        svc.authenticators.changed(user, "passkey_added")
        return outcome(_("Your passkey is ready"), [_("Your account is ready. Sign in with your passkey now.")],
                       link=(_("Continue to sign in"), url_for("web.login", interaction=interaction_id)))
    return render_template("register_passkey.html", ceremony=svc.passkeys.begin_registration(user), user=user,
                           interaction=interaction_id, error=pop_message(), client=None)
