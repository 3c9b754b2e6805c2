"""Sign out of the IdP: a confirmation form (a GET must never end a session: CSRF).

It also confirms RP-initiated logout requests that could be forged
(oauth/endpoints/end_session.py step 3): the request waits server-side under
`logout_request` until the user confirms with this CSRF-protected form.
"""

from authlib.oauth2.rfc6749 import OAuth2Error
from flask import redirect, render_template, request, session, url_for

from idp.oauth.endpoints import end_session
from idp.signin import logout as ending
from idp.web.blueprint import bp
from idp.web.forms import LogoutForm


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    form = LogoutForm()
    stash_id = form.logout_request.data if request.method == "POST" else request.args.get("logout_request", "")
    if stash_id:
        return confirm_rp_logout(form, stash_id)
    if form.validate_on_submit():
        ending.sign_out()
        return redirect(url_for("web.home"))
    return render_template("logout.html", form=form, signed_in=bool(session.get("uid")), client=None)


def confirm_rp_logout(form, stash_id: str):
    confirmed = form.validate_on_submit()
    params = end_session.load_stashed(stash_id, take=confirmed)
    if params is None:
        return render_template("error.html", error="expired_request",
                               description="This sign-out request has expired. Start again from the application."), 400
    try:
        validated = end_session.validate(params)
    except OAuth2Error:  # validated once already; a key revoked meanwhile makes it invalid now
        return end_session.error_page("The logout request is no longer valid.")
    if confirmed:
        return end_session.finish(validated)
    form.logout_request.data = stash_id
    status = 400 if request.method == "POST" else 200
    return render_template("logout.html", form=form, signed_in=bool(session.get("uid")),
                           client=validated.client, destination=end_session.destination(validated)), status
