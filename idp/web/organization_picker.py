"""The organization picker (issue 33): a client that requires an organization, asked without one,
sends the signed-in user here to pick one of theirs (or type its slug); the choice joins the
waiting authorization request, whose checks (membership, the client's allowed organizations) run
again as for an `organization` parameter."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from idp.organizations import signin as org_signin
from idp.plumbing.context import services
from idp.signin import interactions
from idp.web.blueprint import bp
from idp.web.login import expired_request


class OrganizationForm(FlaskForm):
    interaction = HiddenField(validators=[DataRequired()])
    organization = StringField("Organization", validators=[DataRequired(), Length(max=org_signin.MAX_LENGTH)])


@bp.route("/authorize/organization", methods=["GET", "POST"])
def choose_organization():
    form = OrganizationForm()
    interaction_id = request.values.get("interaction", "")
    interaction = interactions.load(interaction_id)
    user_id = session.get("uid")
    if interaction is None or not user_id:
        return expired_request()
    if form.validate_on_submit():
        interaction["params"][org_signin.PARAMETER] = form.organization.data.strip()
        interactions.save(interaction_id, interaction)
        return redirect(url_for("oauth.authorize", interaction=interaction_id))
    form.interaction.data = interaction_id
    status = 400 if request.method == "POST" else 200
    return render_template("choose_organization.html", form=form,
                           organizations=org_signin.choices(services(), user_id)), status
