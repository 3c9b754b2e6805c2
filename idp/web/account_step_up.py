"""/account/step-up: before changing how the account signs in, prove an authenticator it already
had (the rule is Authenticators.change_refusal, idp/accounts/authenticators.py).

The page offers only the factors bound before this session began (a passkey or a TOTP added in
this session proves nothing about it). A passkey counts like a second factor and a wrong code
counts towards the account's lock, as at sign-in. When no factor can be used, or the sign-in is
simply too old, the page sends the user to sign in again and come back.
"""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for

from idp.accounts.authenticators import NEEDS_STEP_UP, PASSKEY, TOTP
from idp.accounts.passkeys import STEP_UP, PasskeyRefused, amr_for
from idp.i18n import gettext as _
from idp.observability import audit
from idp.plumbing.context import services
from idp.signin import authn
from idp.web.account import signed_in_user, to_login
from idp.web.blueprint import bp
from idp.web.login import locked_response, safe_next
from idp.web.login_mfa import WRONG_CODE
from idp.web.passkey_pages import offer, pop_message, refusal_from_browser, refuse

STEP_UP_NEEDED = "Confirm it is you with your passkey or your authenticator app before changing how you sign in."


def change_refusal(user) -> str | None:
    """Why this session may not add or remove an authenticator now (STALE_SIGN_IN, NEEDS_STEP_UP), or None."""
    return services().authenticators.change_refusal(user.id, session.get("amr") or [],
                                                    session.get("auth_time") or 0)


def reauth_url(user, next_page: str) -> str:
    """Where a refused change sends the user: the step-up page when the account has a factor to
    prove, else the sign-in page (a password-only account just signs in again)."""
    if services().authenticators.factors(user.id):
        return url_for("web.account_step_up", next=next_page)
    return url_for("web.login", next=next_page, login_hint=user.email)


@bp.route("/account/step-up", methods=["GET", "POST"])
def account_step_up():
    user = signed_in_user()
    if user is None:
        return to_login()
    svc = services()
    next_page = safe_next(request.values.get("next")) or url_for("web.account")
    here = url_for("web.account_step_up", next=next_page)
    since = authn.authenticated_at()
    usable = svc.authenticators.step_up_factors(user.id, since)

    def page(error=None, status=200):
        return render_template(
            "account_step_up.html", next=next_page, error=error or pop_message(), codes=TOTP in usable,
            passkey=offer(STEP_UP, user.id) if PASSKEY in usable else None,
            sign_in_url=url_for("web.login", next=next_page, login_hint=user.email)), status

    if request.method == "GET":
        return page()
    if locked := svc.lockout.locked_for(user.email):
        return locked_response(page, locked)
    previous = session.get("amr") or []
    if request.form.get("action") == "passkey" and PASSKEY in usable:
        try:
            if refused := refusal_from_browser(request.form):
                raise refused
            assertion = svc.passkeys.finish_authentication(STEP_UP, request.form.get("ceremony", ""),
                                                           request.form.get("credential", ""), user_id=user.id)
            if not svc.authenticators.predates(assertion.passkey.created_at, since):
                raise PasskeyRefused("bound_here", user.id)
        except PasskeyRefused as refused:
            refused.user_id = user.id
            refuse("account.step_up_failed", refused, email=user.email)
            return redirect(here)
        amr = amr_for(assertion.passkey, assertion.user_verified, second_factor="pwd" in previous)
    elif request.form.get("action") == "code" and TOTP in usable:
        kind = svc.mfa.verify(user.id, (request.form.get("code") or "")[:32])
        if kind is None:
            audit.record("account.step_up_failed", user_id=user.id, reason="code")
            if lock := svc.lockout.failure(user.email):
                audit.record("login.locked", user_id=user.id, seconds=lock)
                return locked_response(page, lock)
            return page(_(WRONG_CODE), 401)
        if kind == "recovery":
            audit.record("mfa.recovery_code_used", user_id=user.id, remaining=svc.mfa.remaining_recovery_codes(user.id))
        amr = list(dict.fromkeys([*previous, "otp"]))
    else:
        return page(_(STEP_UP_NEEDED), 400)
    svc.lockout.success(user.email)
    authn.step_up(user, amr)
    return redirect(next_page)


def refused_change_page(user, refusal: str, next_page: str):
    """What a change page shows instead of its form when change_refusal said no."""
    message = _(STEP_UP_NEEDED) if refusal == NEEDS_STEP_UP else _("For your security, sign in again before changing how you sign in.")
    return render_template("account_step_up_needed.html", message=message, reauth_url=reauth_url(user, next_page))
