"""Change password (current one required); other sessions and refresh tokens end."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for

from idp.accounts import passwords
from idp.i18n import gettext as _
from idp.plumbing.context import services
from idp.web.account import signed_in_user, to_login
from idp.web.blueprint import bp
from idp.web.forms import ChangePasswordForm


@bp.route("/account/password", methods=["GET", "POST"])
def account_password():
    user = signed_in_user()
    if user is None:
        return to_login()
    form = ChangePasswordForm()
    errors = {}
    if form.validate_on_submit():
        problem = passwords.problem(form.password.data, user.email)
        if problem:
            errors["password"] = _(problem)
        elif services().accounts.change_password(user, form.current_password.data, form.password.data, session.sid):
            return redirect(url_for("web.account", done="password"))
        else:
            errors["current_password"] = _("Your current password is not correct.")
    elif request.method == "POST":
        errors = {name: _("Enter a password.") for name in form.errors if name in ("current_password", "password")}
    return render_template("account_password.html", form=form, errors=errors), 400 if errors else 200
