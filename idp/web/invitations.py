"""The page an invitation link opens (issue 33): signed in with the invited email, the user joins
the organization with one click (a POST with a CSRF token, so a link alone never changes anything);
signed out, the page offers to sign in (coming back here) when an account with the invited email
exists, else to create it right here: name and password, the email verified since the link reached
it; the account, the membership with the invited roles and the invitation's consumption are made in
one transaction (idp/organizations/invitations.sign_up), then the new user is signed in.

An unknown, expired, used or revoked link is an error page (400) and changes nothing; so is a link
opened while signed in with another email."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import render_template, request, session, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from idp.administration import Invalid
from idp.i18n import gettext as _
from idp.organizations import invitations
from idp.plumbing.context import services
from idp.signin import authn
from idp.web.blueprint import bp


class AcceptForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])


class SignUpForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Length(max=64)])
    name = StringField("Full name", validators=[Length(max=1024)])
    password = PasswordField("Password", validators=[Length(max=1024)])


def refused_page(refused: invitations.Refused):
    return render_template("error.html", error="invalid_invitation", description=str(refused)), 400


@bp.route(invitations.ACCEPT_PATH, methods=["GET", "POST"])
def accept_invitation():
    token = request.values.get("token", "")
    try:
        invitation, name = invitations.pending(services(), token)
    except invitations.Refused as refused:
        return refused_page(refused)
    user_id = session.get("uid")
    if not user_id and request.method == "POST" and "sign_up" in request.form:
        return sign_up(token, invitation, name)
    form = AcceptForm()
    if user_id and form.validate_on_submit():
        try:
            joined = invitations.accept(services(), token, user_id)
        except invitations.Refused as refused:
            return refused_page(refused)
        return render_template("invitation.html", joined=joined, form=None, email=invitation.email)
    form.token.data = token
    return invitation_page(token, invitation, name, form if user_id else None,
                           400 if request.method == "POST" else 200)


def invitation_page(token, invitation, name, form, status=200, signup=None, errors=None):
    """Signed in: the Join button. Signed out: sign in (an account exists) or sign up here (none)."""
    login = url_for("web.login") + "?" + urlencode({"next": url_for("web.accept_invitation", token=token),
                                                   "login_hint": invitation.email})
    has_account = form is None and services().users.by_email(invitation.email) is not None
    if form is None and not has_account and signup is None:
        signup = SignUpForm()
        signup.token.data = token
    return render_template("invitation.html", joined=None, organization=name, email=invitation.email, form=form,
                           login=login, signup=None if has_account else signup, errors=errors or {}), status


def sign_up(token: str, invitation, name: str):
    form = SignUpForm()
    form.token.data = token
    if not form.validate_on_submit():
        return invitation_page(token, invitation, name, None, 400, form,
                               {"password": _("The form expired. Try again.")})
    try:
        user_id, joined = invitations.sign_up(services(), token, form.name.data, form.password.data)
    except Invalid as exc:
        return invitation_page(token, invitation, name, None, 400, form,
                               {field: _(why) for field, why in exc.errors.items()})
    except invitations.Refused as refused:
        return refused_page(refused)
    authn.start_session(services().users.by_id(user_id), ["pwd"])
    return render_template("invitation.html", joined=joined, form=None, email=invitation.email)
