"""The account's passkeys: add one (named), see them (added, last used, synced), remove one.

Adding or removing needs a sign-in within PASSKEY_REAUTH_WINDOW (OWASP ASVS 3.7.1): a browser
left signed in must not be enough to plant a passkey; and, when the account already has a second
factor or a passkey, a sign-in that used one (NIST SP 800-63B 6.1.2.1): a password alone does not
bind a passkey next to the owner's (Authenticators.change_refusal; the step-up page otherwise).
The owner is mailed about every passkey added or removed. Removing the last passkey asks for a
confirmation (the password becomes the only way in); removing the only way to sign in at all
(no password, no linked account) is refused. Every change is audited.
"""

from __future__ import annotations

import datetime as dt

from flask import redirect, render_template, request, url_for

from idp.accounts.passkeys import PasskeyRefused
from idp.i18n import gettext as _
from idp.observability import audit
from idp.plumbing.context import services
from idp.web.account import signed_in_user, since, to_login
from idp.web.blueprint import bp
from idp.web.account_step_up import change_refusal, reauth_url
from idp.web.passkey_pages import MESSAGES, flash, pop_message, refusal_from_browser, refuse

DONE = {"added": "Your passkey is ready: use it to sign in next time.",
        "removed": "The passkey was removed."}
LAST_ONE = "This is your last passkey. Without it you will sign in with your password."
ONLY_WAY = "This passkey is your only way to sign in. Set a password or add another passkey first."


def _row(passkey) -> dict:
    used = passkey.last_used_at
    return dict(id=passkey.id, name=passkey.name, added=passkey.created_at.strftime("%Y-%m-%d"),
                last_used=since(int(used.replace(tzinfo=dt.timezone.utc).timestamp())) if used else _("never"),
                synced=passkey.backup_eligible, backed_up=passkey.backed_up)


def _other_ways_in(user) -> bool:
    return bool(user.password_hash) or bool(services().federated.for_user(user.id))


@bp.get("/account/passkeys")
def account_passkeys():
    user = signed_in_user()
    if user is None:
        return to_login()
    svc = services()
    refusal = change_refusal(user)
    ceremony = svc.passkeys.begin_registration(user) if refusal is None and svc.passkeys.enabled else None
    done = DONE.get(request.args.get("done", ""))
    return render_template("account_passkeys.html", user=user, enabled=svc.passkeys.enabled, fresh=refusal is None,
                           ceremony=ceremony, passkeys=[_row(p) for p in svc.passkeys.for_user(user.id)],
                           message=_(done) if done else None, error=pop_message(), refusal=_(MESSAGES[refusal])
                           if refusal else None, reauth_url=reauth_url(user, url_for("web.account_passkeys")))


@bp.post("/account/passkeys/add")
def account_passkeys_add():
    user = signed_in_user()
    if user is None:
        return to_login()
    try:
        if refusal := change_refusal(user):
            raise PasskeyRefused(refusal, user.id)
        if refused := refusal_from_browser(request.form):
            raise refused
        added = services().passkeys.finish_registration(user, request.form.get("ceremony", ""),
                                                        request.form.get("credential", ""), request.form.get("name"))
    except PasskeyRefused as refused:
        refused.user_id = user.id
        refuse("passkey.add_failed", refused, sign_in=False)
        return redirect(url_for("web.account_passkeys"))
    audit.record("passkey.added", user_id=user.id, passkey_id=added.id, backup_eligible=added.backup_eligible,
                 aaguid=added.aaguid)
    services().authenticators.changed(user, "passkey_added")
    return redirect(url_for("web.account_passkeys", done="added"))


@bp.post("/account/passkeys/remove")
def account_passkeys_remove():
    user = signed_in_user()
    if user is None:
        return to_login()
    if refusal := change_refusal(user):
        flash(refusal)
        return redirect(url_for("web.account_passkeys"))
    svc = services()
    passkeys = svc.passkeys.for_user(user.id)
    target = next((p for p in passkeys if p.id == request.form.get("passkey")), None)
    if target is None:
        return redirect(url_for("web.account_passkeys"))
    if len(passkeys) == 1 and not _other_ways_in(user):
        return render_template("account_passkeys.html", user=user, enabled=True, fresh=True, ceremony=None,
                               passkeys=[_row(p) for p in passkeys], error=_(ONLY_WAY), message=None), 409
    if len(passkeys) == 1 and request.form.get("confirm") != "yes":
        return render_template("account_passkeys.html", user=user, enabled=True, fresh=True, ceremony=None,
                               passkeys=[_row(p) for p in passkeys], confirm=_row(target), warning=_(LAST_ONE),
                               message=None, error=None)
    if svc.passkeys.remove(user.id, target.id):
        audit.record("passkey.removed", user_id=user.id, passkey_id=target.id, remaining=len(passkeys) - 1)
        svc.authenticators.changed(user, "passkey_removed")
    return redirect(url_for("web.account_passkeys", done="removed"))
