"""Sign out of the IdP: a confirmation form (a GET must never end a session: CSRF)."""

from flask import redirect, render_template, session, url_for

from . import bp
from .forms import LogoutForm


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        session.clear()
        return redirect(url_for("web.home"))
    return render_template("logout.html", form=form, signed_in=bool(session.get("uid")))
