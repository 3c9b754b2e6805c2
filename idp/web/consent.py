"""The consent page: which application asks for which scopes — for a registered API, under the
API's name with the descriptions it registered; the answer is kept for this user."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for

from authlib.oauth2.rfc6749 import OAuth2Error

from idp.oauth.resources import stored_resources, targets_for, user_grantable_scope
from idp.observability import audit
from idp.plumbing.context import services
from idp.signin import interactions
from idp.web.blueprint import bp
from idp.web.forms import ConsentForm

SCOPE_DESCRIPTIONS = {
    "openid": "Sign you in with your account",
    "profile": "See your name",
    "email": "See your email address",
    "offline_access": "Keep access while you are away",
    "groups": "See the groups you belong to",
    "roles": "See your roles in this application's APIs",
}


@bp.route("/consent", methods=["GET", "POST"])
def consent():
    form = ConsentForm()
    interaction_id = request.values.get("interaction", "")
    interaction = interactions.load(interaction_id)
    user_id = session.get("uid")
    if interaction is None or not user_id:
        return render_template("error.html", error="expired_request",
                               description="This sign-in request has expired. Start again from the application."), 400
    params = interaction["params"]
    client = services().clients.get(params.get("client_id"))
    if client is None:
        return render_template("error.html", error="invalid_client", description="Unknown application."), 400
    try:  # the same cut as the code will get: this client's APIs, their scopes, the user's roles
        targets = targets_for(client.client_id, stored_resources(params))
        scope = user_grantable_scope(client, params.get("scope"), targets, user_id)
    except OAuth2Error as error:
        return render_template("error.html", error=error.error, description=error.description), 400
    scopes = scope.split()

    if form.validate_on_submit():
        granted = bool(form.allow.data) and not form.deny.data
        interaction["consent"] = "granted" if granted else "denied"
        interaction["consent_user"] = user_id
        interactions.save(interaction_id, interaction)
        audit.record("consent.granted" if granted else "consent.denied", user_id=user_id,
                     client_id=client.client_id, scope=" ".join(scopes))
        if granted:
            services().consents.grant(user_id, client.client_id, services().api_access.consent_keys(scope, targets))
        return redirect(url_for("oauth.authorize", interaction=interaction_id))

    form.interaction.data = interaction_id
    described = [(s, SCOPE_DESCRIPTIONS.get(s, s)) for s in scopes if not any(s in t.scopes for t in targets)]
    apis = [(t.name, [(s, t.scopes[s] or s) for s in scopes if s in t.scopes]) for t in targets]
    status = 400 if request.method == "POST" else 200
    user = services().users.by_id(user_id)
    return render_template("consent.html", form=form, client=client, scopes=described, apis=apis,
                           user=user), status
