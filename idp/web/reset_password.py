"""Choose a new password from an emailed reset link (single use, one hour).

Saving it ends every session and refresh-token family of the account (idp/accounts/lifecycle.py).
"""

from __future__ import annotations

from flask import render_template, request, url_for

from idp.accounts import passwords
from idp.i18n import gettext as _
from idp.plumbing.context import services
from idp.web.blueprint import bp
from idp.web.forms import ResetPasswordForm
from idp.web.outcome import outcome


def link_expired():
    return outcome(_("This link no longer works"), [
        _("Reset links can be used once and expire after one hour. Ask for a new one."),
    ], link=(_("Ask for a new link"), url_for("web.forgot_password")), kind="error", status=400)


@bp.route("/reset-password", methods=["GET", "POST"])
def reset_password():
    accounts = services().accounts
    form = ResetPasswordForm()
    if request.method == "GET":
        form.token.data = request.args.get("token", "")
    user = accounts.reset_link_user(form.token.data or "")
    if user is None:
        return link_expired()
    error = None
    if form.validate_on_submit():
        error = passwords.problem(form.password.data, user.email)
        if error is None:
            if accounts.reset_password(form.token.data, form.password.data) is None:
                return link_expired()  # used by a concurrent request a moment ago
            return outcome(_("Password changed"), [
                _("You can now sign in with your new password. You were signed out everywhere else."),
            ], link=(_("Sign in"), url_for("web.login", login_hint=user.email)))
        error = _(error)
    elif request.method == "POST":
        error = _("Enter a password.")
    return render_template("reset_password.html", form=form, email=user.email, error=error), 400 if error else 200
