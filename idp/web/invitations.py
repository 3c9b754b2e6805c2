"""The page an invitation link opens (issue 33): signed in with the invited email, the user joins
the organization with one click (a POST with a CSRF token, so a link alone never changes anything);
signed out, the page offers to sign in (coming back here) or to create the account first."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import render_template, request, session, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired

from idp.organizations import invitations
from idp.plumbing.context import services
from idp.web.blueprint import bp


class AcceptForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])


@bp.route(invitations.ACCEPT_PATH, methods=["GET", "POST"])
def accept_invitation():
    form = AcceptForm()
    token = request.values.get("token", "")
    try:
        invitation, name = invitations.pending(services(), token)
    except invitations.Refused as refused:
        return render_template("error.html", error="invalid_invitation", description=str(refused)), 400
    user_id = session.get("uid")
    if user_id and form.validate_on_submit():
        try:
            joined = invitations.accept(services(), token, user_id)
        except invitations.Refused as refused:
            return render_template("error.html", error="invalid_invitation", description=str(refused)), 400
        return render_template("invitation.html", joined=joined, form=None, email=invitation.email)
    form.token.data = token
    login = url_for("web.login") + "?" + urlencode({"next": url_for("web.accept_invitation", token=token),
                                                   "login_hint": invitation.email})
    return render_template("invitation.html", joined=None, organization=name, email=invitation.email,
                           form=form if user_id else None, login=login, register=url_for("web.register")), \
        400 if request.method == "POST" else 200
