"""Sign-up (off with ALLOW_REGISTRATION=false): name, email, password; then "check your email".

The answer is the same whether or not the email already has an account (the owner of
an existing one gets an email saying so instead of a verification link).
"""

from __future__ import annotations

from flask import abort, render_template, request

from idp.accounts import passwords
from idp.i18n import gettext as _
from idp.plumbing.context import services
from idp.web.blueprint import bp
from idp.web.forms import RegisterForm
from idp.web.login import client_of, interaction_of
from idp.web.outcome import outcome

FIELD_ERRORS = {
    "name": "Enter your name.",
    "email": "Enter an email address like name@example.com.",
    "password": "Enter a password.",
}


@bp.route("/register", methods=["GET", "POST"])
def register():
    svc = services()
    if not svc.config.allow_registration:
        abort(404)
    form = RegisterForm()
    interaction = interaction_of(form)[1]  # a stale one is no reason to refuse a sign-up

    errors = {}
    if form.validate_on_submit():
        problem = passwords.problem(form.password.data, form.email.data)
        if problem is None:
            svc.accounts.register(form.email.data.strip(), form.password.data, form.name.data.strip(),
                                  form.interaction.data if interaction else None)
            return check_your_email(form.email.data.strip())
        errors["password"] = _(problem)
    elif request.method == "POST":
        errors = {name: _(FIELD_ERRORS[name]) for name in form.errors if name in FIELD_ERRORS}
    status = 400 if request.method == "POST" else 200
    return render_template("register.html", form=form, errors=errors, client=client_of(interaction),
                           passkeys=svc.passkeys.enabled), status


def check_your_email(email: str):
    return outcome(_("Check your email"), [
        _("If %(email)s can receive mail, a link to confirm it is on its way.", email=email),
        _("Open it within 24 hours to finish creating your account. Nothing there? Check your spam folder."),
    ], kind="mail")
