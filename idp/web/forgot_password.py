"""Ask for a password reset link. The answer is the same whether the account exists or not."""

from __future__ import annotations

from flask import render_template, request

from idp.i18n import gettext as _
from idp.plumbing.context import services
from idp.web.blueprint import bp
from idp.web.forms import ForgotPasswordForm
from idp.web.outcome import outcome


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = form.email.data.strip()
        services().accounts.request_password_reset(email)
        return outcome(_("Check your email"), [
            _("If an account uses %(email)s, we have sent it a link to choose a new password.", email=email),
            _("The link works once, for one hour. Nothing there? Check your spam folder."),
        ], kind="mail")
    error = _("Enter the email address of your account.") if request.method == "POST" else None
    return render_template("forgot_password.html", form=form, error=error), 400 if error else 200
