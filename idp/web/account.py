"""The account page: who you are, security settings, where you are signed in (end one or
all others), and upstream identities linked to this account.
"""

from __future__ import annotations

import time

from flask import redirect, render_template, request, session, url_for

from idp.events import types as events
from idp.i18n import gettext as _
from idp.observability import audit
from idp.plumbing.context import services
from idp.web.blueprint import bp
from idp.web.forms import EndSessionForm, FederatedStartForm, LogoutForm, RevokeAppForm, UnlinkForm

UNLINK_REFUSED = "You cannot unlink your only way to sign in. Set a password or link another account first."


def signed_in_user():
    """The signed-in, enabled user, or None (then the page redirects to sign-in)."""
    user_id = session.get("uid")
    user = services().users.by_id(user_id) if user_id else None
    return user if user is not None and not user.disabled else None


def to_login():
    return redirect(url_for("web.login"))


def describe_browser(user_agent: str) -> str:
    """"Firefox on Linux": enough to recognise one's own devices (no UA database needed)."""
    browsers = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
                ("Safari/", "Safari"))
    systems = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
               ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))
    browser = next((name for mark, name in browsers if mark in user_agent), None)
    system = next((name for mark, name in systems if mark in user_agent), None)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or _("Unknown browser")


def since(timestamp: int) -> str:
    minutes = max(0, int(time.time() - timestamp) // 60)
    if minutes < 1:
        return _("just now")
    if minutes < 60:
        return _("%(n)s min ago", n=minutes)
    if minutes < 48 * 60:
        return _("%(n)s h ago", n=minutes // 60)
    return _("%(n)s days ago", n=minutes // 1440)


@bp.get("/account")
def account():
    user = signed_in_user()
    if user is None:
        return to_login()
    svc = services()
    sessions = [dict(handle=s.handle, current=s.current, ip=s.ip, device=describe_browser(s.user_agent),
                     when=since(s.created))
                for s in svc.sessions.list(user.id, getattr(session, "sid", None))]
    messages = {"password": _("Your password was changed. Your other sessions were signed out."),
                "ended": _("That session was signed out."),
                "others": _("You were signed out everywhere else."),
                "mfa-off": _("Two-step verification is off."),
                "unlinked": _("That account is no longer linked."),
                "linked": _("The account is linked: it now signs you in here too."),
                "unlink-refused": _(UNLINK_REFUSED),
                "app-revoked": _("That application no longer has access to your account."),
                "profile": _("Your profile was saved.")}
    # Only what this server has on offer: passkeys when WebAuthn works here (a user who has some may still remove them)
    passkeys = svc.passkeys.enabled or svc.passkeys.credentials.count(user.id) > 0
    return render_template("account.html", user=user, sessions=sessions, mfa_enrolled=svc.mfa.is_enrolled(user.id),
                           passkeys=passkeys,
                           linked=linked_identities(user), unlink_form=UnlinkForm(),
                           linkable=linkable_providers(user), link_form=FederatedStartForm(),
                           message=messages.get(request.args.get("done", "")),
                           end_form=EndSessionForm(), logout_form=LogoutForm(),
                           apps=connected_apps(user), revoke_app_form=RevokeAppForm(),
                           profile_fields=bool(svc.config.user_metadata_fields))


def connected_apps(user) -> list[dict]:
    """The applications the user granted access to (idp/web/account_apps.py revokes one)."""
    return [dict(client_id=app.client_id, name=app.client_name, scopes=" ".join(app.scopes),
                 since=app.granted_at.strftime("%Y-%m-%d") if app.granted_at else "")
            for app in services().connected_apps.for_user(user.id)]


def linked_identities(user) -> list[dict]:
    """Upstream identities linked to the account; each can be removed while another sign-in method remains."""
    svc = services()
    identities = svc.federated.for_user(user.id)
    removable = bool(user.password_hash) or len(identities) > 1
    return [dict(provider=i.provider, subject=i.subject, email=i.email or "", removable=removable,
                 label=svc.connectors[i.provider].label if i.provider in svc.connectors else i.provider,
                 since=i.created_at.strftime("%Y-%m-%d"))
            for i in identities]


def linkable_providers(user) -> list:
    """Configured providers with no identity linked to this account yet."""
    svc = services()
    linked = {i.provider for i in svc.federated.for_user(user.id)}
    return [c for name, c in svc.connectors.items() if name not in linked]


@bp.post("/account/sessions/end")
def account_end_session():
    user = signed_in_user()
    if user is None:
        return to_login()
    form = EndSessionForm()
    if not form.validate_on_submit():
        return redirect(url_for("web.account"))
    sessions = services().sessions
    if form.handle.data == "others":
        ended = sessions.end_all(user.id, keep_sid=session.sid)
        audit.record("session.ended_others", user_id=user.id, count=ended)
        services().events.emit_alone("session.ended", events.session_ended(user.id, "ended_by_user", ended),
                                     user_id=user.id)
        return redirect(url_for("web.account", done="others"))
    if sessions.end(user.id, form.handle.data or ""):
        audit.record("session.ended", user_id=user.id)
        services().events.emit_alone("session.ended", events.session_ended(user.id, "ended_by_user"), user_id=user.id)
    return redirect(url_for("web.account", done="ended"))
