"""Manage two-step verification: enrol a TOTP app (QR code, confirmed by a first code),
see recovery codes once, get new ones, or turn it off. Each change asks for the
current password (OWASP ASVS 3.7.1), a recent sign-in that used the account's existing second
factor or passkey if it has one (NIST SP 800-63B 6.1.2.1: Authenticators.change_refusal, else the
step-up page), is audited, and is mailed to the owner.
"""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for

from idp.i18n import gettext as _
from idp.observability import audit
from idp.plumbing.context import services
from idp.migration.passwords import verify as verify_password
from idp.web.account import signed_in_user, to_login
from idp.web.account_step_up import change_refusal, refused_change_page
from idp.web.blueprint import bp
from idp.web.forms import ConfirmPasswordForm, EnrolTotpForm

WRONG_PASSWORD = "Your current password is not correct."


@bp.route("/account/mfa", methods=["GET", "POST"])
def account_mfa():
    user = signed_in_user()
    if user is None:
        return to_login()
    if refusal := change_refusal(user):
        session.pop("totp_pending", None)
        return refused_change_page(user, refusal, url_for("web.account_mfa"))
    mfa = services().mfa
    if mfa.is_enrolled(user.id):
        return manage(user, mfa)
    return enrol(user, mfa)


def enrol(user, mfa):
    form = EnrolTotpForm()
    # The new secret waits in the server-side session until a first code confirms it.
    secret = session.get("totp_pending") or mfa.new_secret()
    session["totp_pending"] = secret
    errors = {}
    if form.validate_on_submit():
        if not verify_password(user.password_hash, form.password.data):
            errors["password"] = _(WRONG_PASSWORD)
        else:
            codes = mfa.enrol(user.id, secret, form.code.data)
            if codes is not None:
                session.pop("totp_pending", None)
                audit.record("mfa.enabled", user_id=user.id, method="totp")
                services().authenticators.changed(user, "totp_enabled")
                return render_template("account_mfa.html", enrolled=True, recovery_codes=codes,
                                       message=_("Two-step verification is on."))
            errors["code"] = _("That code is not valid. Enter the 6 digits the app shows now.")
    elif request.method == "POST":
        errors = {name: _("This field is required.") for name in form.errors if name in ("code", "password")}
    secret_display = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return render_template("account_mfa.html", enrolled=False, form=form, errors=errors,
                           qr=mfa.qr_data_uri(secret, user.email), secret_display=secret_display,
                           ), 400 if errors else 200


def manage(user, mfa):
    form = ConfirmPasswordForm()
    error = None
    if form.validate_on_submit():
        if not verify_password(user.password_hash, form.password.data):
            error = _(WRONG_PASSWORD)
        elif request.form.get("action") == "disable":
            mfa.disable(user.id)
            audit.record("mfa.disabled", user_id=user.id)
            services().authenticators.changed(user, "totp_disabled")
            return redirect(url_for("web.account", done="mfa-off"))
        else:
            codes = mfa.new_recovery_codes(user.id)
            audit.record("mfa.recovery_codes_regenerated", user_id=user.id)
            services().authenticators.changed(user, "recovery_codes_regenerated")
            return render_template("account_mfa.html", enrolled=True, recovery_codes=codes,
                                   message=_("Your new recovery codes replace the old ones."))
    elif request.method == "POST":
        error = _("Enter your current password.")
    return render_template("account_mfa.html", enrolled=True, form=form, error=error,
                           remaining=mfa.remaining_recovery_codes(user.id)), 400 if error else 200
