"""Signing in with a passkey (WebAuthn L3 7.2), three ways:

* /login/passkey — no email, no password: a discoverable credential, chosen from the
  "Sign in with a passkey" button or from the email field's autofill (conditional mediation);
* /login/mfa/passkey — the second step after a correct password, preferred over a TOTP code;
* /login/passkey-step — a relying party asked for phishing-resistant authentication
  (ACR_PHISHING_RESISTANT) and the signed-in user proves a passkey, creating one first if the
  account has none (never a silent downgrade to a password). Only a passkey bound before this
  session began raises it: one created here (on the strength of this session's password) is
  used by signing in with it afresh, so the session's acr and amr say how it really began.

Lockout, rate limits (idp/plumbing/ratelimit.py) and audit events are those of passwords.
"""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for

from idp.accounts.passkeys import REGISTER, SECOND_FACTOR, SIGN_IN, STEP_UP, PasskeyRefused, amr_for
from idp.observability import audit
from idp.plumbing.context import services
from idp.signin import authn, interactions
from idp.web.account import signed_in_user
from idp.web.blueprint import bp
from idp.web.login import expired_request, safe_next
from idp.web.account_step_up import change_refusal
from idp.web.passkey_pages import flash, offer, pop_message, refusal_from_browser, refuse


def _interaction():
    interaction_id = (request.values.get("interaction") or "")[:64] or None
    return interaction_id, interactions.load(interaction_id) if interaction_id else None


@bp.post("/login/passkey")
def login_passkey():
    interaction_id, interaction = _interaction()
    if interaction_id and interaction is None:
        return expired_request()
    back = redirect(url_for("web.login", interaction=interaction_id))
    svc = services()
    try:
        if refused := refusal_from_browser(request.form):
            raise refused
        assertion = svc.passkeys.finish_authentication(SIGN_IN, request.form.get("ceremony", ""),
                                                       request.form.get("credential", ""))
    except PasskeyRefused as refused:
        refuse("login.passkey_failed", refused)
        return back
    user = svc.users.by_id(assertion.user_id)
    if user is None or user.disabled or not user.email_verified:
        audit.record("login.passkey_failed", user_id=assertion.user_id, reason="account")
        flash("unknown_credential")
        return back
    if svc.lockout.locked_for(user.email):
        audit.record("login.refused_locked", user_id=user.id)
        flash("locked")
        return back
    svc.lockout.success(user.email)
    authn.start_session(user, amr_for(assertion.passkey, assertion.user_verified, second_factor=False))
    return authn.after_sign_in(interaction_id, safe_next(request.form.get("next")))


@bp.post("/login/mfa/passkey")
def login_mfa_passkey():
    interaction_id, interaction = _interaction()
    if interaction_id and interaction is None:
        return expired_request()
    pending = authn.pending_second_factor()
    if pending is None:
        return redirect(url_for("web.login", interaction=interaction_id))
    back = redirect(url_for("web.login_mfa", interaction=interaction_id))
    svc = services()
    if svc.lockout.locked_for(pending["email"]):
        flash("locked")
        return back
    try:
        if refused := refusal_from_browser(request.form):
            raise refused
        assertion = svc.passkeys.finish_authentication(SECOND_FACTOR, request.form.get("ceremony", ""),
                                                       request.form.get("credential", ""), user_id=pending["uid"])
    except PasskeyRefused as refused:
        refused.user_id = pending["uid"]
        refuse("login.mfa_failed", refused, email=pending["email"])
        return back
    user = svc.users.by_id(pending["uid"])
    if user is None or user.disabled:
        return redirect(url_for("web.login", interaction=interaction_id))
    svc.lockout.success(user.email)
    authn.start_session(user, amr_for(assertion.passkey, assertion.user_verified, second_factor=True))
    return authn.after_sign_in(interaction_id)


@bp.route("/login/passkey-step", methods=["GET", "POST"])
def passkey_step():
    """For a relying party that requires a passkey: use one, or create one (after a recent sign-in) then use it."""
    interaction_id, interaction = _interaction()
    if interaction is None:
        return expired_request()
    user = signed_in_user()
    if user is None:
        return redirect(url_for("web.login", interaction=interaction_id))
    svc = services()
    if request.method == "POST":
        try:
            if refused := refusal_from_browser(request.form):
                raise refused
            if request.form.get("action") == "register":
                if refusal := change_refusal(user):
                    raise PasskeyRefused(refusal, user.id)
                added = svc.passkeys.finish_registration(user, request.form.get("ceremony", ""),
                                                         request.form.get("credential", ""), request.form.get("name"))
                audit.record("passkey.added", user_id=user.id, passkey_id=added.id, backup_eligible=added.backup_eligible)
                svc.authenticators.changed(user, "passkey_added")
            else:
                assertion = svc.passkeys.finish_authentication(STEP_UP, request.form.get("ceremony", ""),
                                                               request.form.get("credential", ""), user_id=user.id)
                if not svc.authenticators.predates(assertion.passkey.created_at, authn.authenticated_at()):
                    raise PasskeyRefused("bound_here", user.id)
                previous = session.get("amr") or []
                amr = amr_for(assertion.passkey, assertion.user_verified, second_factor="pwd" in previous)
                authn.start_session(user, amr)
                return authn.after_sign_in(interaction_id)
        except PasskeyRefused as refused:
            refused.user_id = user.id
            refuse("passkey.step_failed", refused, sign_in=request.form.get("action") != "register")
        return redirect(url_for("web.passkey_step", interaction=interaction_id))
    has_passkeys = svc.passkeys.has_any(user.id)
    usable = has_passkeys and "passkey" in svc.authenticators.step_up_factors(user.id, authn.authenticated_at())
    fresh = change_refusal(user) is None
    if usable:
        ceremony = offer(STEP_UP, user.id)
    elif has_passkeys:  # only passkeys created in this session: sign in with one afresh
        ceremony = offer(SIGN_IN)
    else:
        ceremony = svc.passkeys.begin_registration(user) if fresh and svc.passkeys.enabled else None
    return render_template("passkey_step.html", user=user, ceremony=ceremony, has_passkeys=has_passkeys,
                           usable=usable, fresh=fresh, interaction=interaction_id, error=pop_message(),
                           register=REGISTER)
