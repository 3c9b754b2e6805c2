"""The second step of sign-in: a passkey (preferred, when the account has one: see
passkeys_sign_in.py), a TOTP code or a recovery code, after a correct password.

Wrong codes count towards the same lock as wrong passwords (one budget per account).
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from idp.accounts.mfa import AMR_MFA
from idp.accounts.passkeys import SECOND_FACTOR
from idp.i18n import gettext as _
from idp.observability import audit
from idp.plumbing.context import services
from idp.signin import authn
from idp.web.blueprint import bp
from idp.web.forms import SecondFactorForm
from idp.web.login import client_of, expired_request, interaction_of, locked_response
from idp.web.passkey_pages import offer, pop_message

WRONG_CODE = "That code is not valid. Check the time on your phone, or use a recovery code."


@bp.route("/login/mfa", methods=["GET", "POST"])
def login_mfa():
    form = SecondFactorForm()
    interaction_id, interaction = interaction_of(form)
    if interaction_id and interaction is None:
        return expired_request()
    pending = authn.pending_second_factor()
    if pending is None:  # no password step, or it is more than a few minutes old
        return redirect(url_for("web.login", interaction=interaction_id))

    def page(error=None, status=200):
        svc = services()
        passkey = offer(SECOND_FACTOR, pending["uid"]) if svc.passkeys.has_any(pending["uid"]) else None
        return render_template("login_mfa.html", form=form, error=error or pop_message(), client=client_of(interaction),
                               passkey=passkey, codes=svc.mfa.is_enrolled(pending["uid"])), status

    if not form.validate_on_submit():
        return page(status=400 if request.method == "POST" else 200)

    svc = services()
    if locked := svc.lockout.locked_for(pending["email"]):
        return locked_response(page, locked)
    user = svc.users.by_id(pending["uid"])
    kind = svc.mfa.verify(user.id, form.code.data) if user and not user.disabled else None
    if kind is None:
        audit.record("login.mfa_failed", user_id=pending["uid"])
        if lock := svc.lockout.failure(pending["email"]):
            audit.record("login.locked", user_id=pending["uid"], seconds=lock)
            return locked_response(page, lock)
        return page(_(WRONG_CODE), 401)
    svc.lockout.success(user.email)
    if kind == "recovery":
        audit.record("mfa.recovery_code_used", user_id=user.id, remaining=svc.mfa.remaining_recovery_codes(user.id))
    authn.start_session(user, AMR_MFA)
    return authn.after_sign_in(interaction_id)
