"""What a completed sign-in does, shared by the password page and the second-factor page:
a new session id (no fixation), the claims the ID token will carry (auth_time, amr, acr,
sid), the audit event, a notice email for a browser not seen before, and where to go next.
"""

from __future__ import annotations

import time

from flask import after_this_request, current_app, redirect, request, session, url_for
from itsdangerous import BadSignature, Signer

from idp.accounts.mfa import acr_for
from idp.events import types as events
from idp.observability import audit
from idp.plumbing.context import services
from idp.plumbing.security import random_token, token_hash

DEVICE_COOKIE = "idp_device"
PENDING_TTL = 300  # seconds to enter the second factor after the password


def start_session(user, amr: list[str], idp: str | None = None) -> None:
    """idp: the upstream provider's name for a federated sign-in (amr ["fed"]; the ID token's idp claim)."""
    pending_link = session.get("fed_link")
    session.clear()
    session.regenerate()
    session["uid"] = user.id
    session["authenticated_at"] = time.time()
    session["auth_time"] = int(session["authenticated_at"])
    session["amr"] = amr
    session["acr"] = None if idp else acr_for(amr)
    if idp:
        session["idp"] = idp
    session["sid"] = random_token(16)  # the OIDC session id (sid claim), not the cookie's id
    session["ua"] = request.user_agent.string[:256]
    session["ip"] = request.remote_addr or ""
    audit.record("login.succeeded", user_id=user.id, amr=amr, **({"idp": idp} if idp else {}))
    services().events.emit_alone("user.signed_in", events.signed_in(user.id, amr, idp), user_id=user.id)
    notice_if_new_device(user)
    if pending_link and "pwd" in amr:  # only a password sign-in to that account proves control of it
        from idp.federation.linking import complete_pending_link

        complete_pending_link(user, pending_link)


def step_up(user, amr: list[str]) -> None:
    """A signed-in user proved one more authenticator (the account page's step-up): the same
    session, now with this sign-in's methods and time (a new id: a change of privilege). Unlike
    start_session it keeps the OIDC sid and the relying parties told of it (back-channel logout)."""
    session.regenerate()
    session["authenticated_at"] = time.time()
    session["auth_time"] = int(session["authenticated_at"])
    session["amr"] = amr
    session["acr"] = None if session.get("idp") else acr_for(amr)
    audit.record("login.stepped_up", user_id=user.id, amr=amr)


def authenticated_at() -> float:
    """When this session last authenticated, to the sub-second (auth_time, the ID token's claim, is
    whole seconds): what tells an authenticator bound before it from one bound during it."""
    return float(session.get("authenticated_at") or session.get("auth_time") or 0)


def begin_second_factor(user) -> None:
    """The password was right and the account has MFA: remember who, for a few minutes only."""
    pending_link = session.get("fed_link")  # a federated identity waiting to be linked survives this step
    session.clear()
    session.regenerate()
    if pending_link:
        session["fed_link"] = pending_link
    session["mfa_pending"] = {"uid": user.id, "email": user.email, "until": int(time.time()) + PENDING_TTL}


def pending_second_factor() -> dict | None:
    pending = session.get("mfa_pending")
    return pending if pending and pending.get("until", 0) > time.time() else None


def after_sign_in(interaction_id: str | None, next_page: str | None = None):
    if interaction_id:
        return redirect(url_for("oauth.authorize", interaction=interaction_id))
    return redirect(next_page or url_for("web.account"))


def notice_if_new_device(user) -> None:
    """Email a "new sign-in" notice the first time this browser signs in to this account."""
    signer = Signer(current_app.config["SECRET_KEY"], salt="idp-device")
    try:
        known = signer.unsign(request.cookies.get(DEVICE_COOKIE, "")).decode().split(".")
    except BadSignature:
        known = []
    mark = token_hash(user.id)[:16]
    if mark in known:
        return
    services().accounts.notify(user, "new_sign_in", when=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                               ip=request.remote_addr or "", browser=request.user_agent.string[:120])
    value = signer.sign(".".join(([mark] + known)[:5])).decode()
    secure = services().config.cookie_secure

    @after_this_request
    def _remember(response):
        response.set_cookie(DEVICE_COOKIE, value, max_age=400 * 86400, httponly=True, samesite="Lax", secure=secure)
        return response
