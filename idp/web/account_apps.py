"""Connected apps on the account page: the applications the user granted access to, with the
scopes and since when, and revoking one (after a confirmation): its refresh-token families and
the access tokens they issued, the remembered consent, and a back-channel logout when the
application registered for one (idp/accounts/connected_apps.py)."""

from __future__ import annotations

from flask import redirect, render_template, url_for

from idp.accounts.connected_apps import revoke_app
from idp.i18n import gettext as _
from idp.observability import audit
from idp.plumbing.context import services
from idp.web.account import signed_in_user, to_login
from idp.web.blueprint import bp
from idp.web.forms import RevokeAppForm

REVOKE_QUESTION = (
    "%(client)s will no longer reach your account: it is signed out and the next time it asks, you will "
    "be asked again."
)


@bp.post("/account/apps/revoke")
def account_revoke_app():
    user = signed_in_user()
    if user is None:
        return to_login()
    form = RevokeAppForm()
    if not form.validate_on_submit():
        return redirect(url_for("web.account"))
    svc = services()
    client = svc.clients.get(form.client_id.data)
    if client is None or client.client_id not in {app.client_id for app in svc.connected_apps.for_user(user.id)}:
        return redirect(url_for("web.account"))
    if form.confirmed.data != "yes":
        return render_template("confirm.html", layout="base.html", form=form,
                               title=_("Remove access for %(client)s?", client=client.name),
                               question=_(REVOKE_QUESTION, client=client.name),
                               action=url_for("web.account_revoke_app"), button=_("Remove access"),
                               cancel=url_for("web.account"), fields={"client_id": client.client_id})
    revoked = revoke_app(svc, user.id, client.client_id)
    audit.record("grant.revoked", user_id=user.id, client_id=client.client_id, families=revoked.families)
    return redirect(url_for("web.account", done="app-revoked"))
