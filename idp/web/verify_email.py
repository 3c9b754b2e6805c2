"""The emailed verification link. GET shows a button; only the POST uses the link, so a mail
scanner that prefetches links cannot use it up before the person does."""

from __future__ import annotations

from flask import render_template, request, url_for

from idp.i18n import gettext as _
from idp.plumbing.context import services
from idp.signin import interactions
from idp.web.blueprint import bp
from idp.web.forms import TokenForm
from idp.web.outcome import outcome
from idp.web.passkeys_register import passkey_enrolment_after_verification


@bp.route("/verify-email", methods=["GET", "POST"])
def verify_email():
    form = TokenForm()
    if request.method == "GET":
        form.token.data = request.args.get("token", "")
        form.interaction.data = request.args.get("interaction", "")
        return render_template("verify_email.html", form=form)
    user = services().accounts.verify_email(form.token.data) if form.validate_on_submit() else None
    if user is None:
        return outcome(_("This link no longer works"), [
            _("Links can be used once and expire after a while. Sign in to get a new one."),
        ], link=(_("Sign in"), url_for("web.login")), kind="error", status=400)
    interaction_id = form.interaction.data if interactions.load(form.interaction.data) else None
    if (first_passkey := passkey_enrolment_after_verification(user, interaction_id)) is not None:
        return first_passkey
    return outcome(_("Email address confirmed"), [
        _("Thank you, %(email)s is confirmed. Your account is ready.", email=user.email),
    ], link=(_("Continue to sign in"), url_for("web.login", interaction=interaction_id, login_hint=user.email)))
