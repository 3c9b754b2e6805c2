"""What the passkey pages share: the ceremony a page offers, the message each refusal shows, and
how a refusal is recorded (audit event, and the account's failure budget when the passkey named
one: a passkey attempt counts like a password attempt, OWASP ASVS 2.2.1).

A refusal made by a POST is shown by the page the user came from, after a redirect: the reason's
code rides in the session once (never the library's detail, which is for the audit trail only).
"""

from __future__ import annotations


from flask import session

from idp.accounts.passkeys import Ceremony, PasskeyRefused
from idp.i18n import gettext as _
from idp.observability import audit
from idp.plumbing.context import services

MESSAGES = {
    "cancelled": "The passkey request was cancelled or timed out. Try again, or sign in another way.",
    "expired": "This passkey request has expired or was already used. Try again.",
    "wrong_origin": "This passkey answer was made for another website address. Use this page only.",
    "unknown_credential": "This passkey is not registered here. Use another one, or sign in with your password.",
    "invalid": "Your passkey's answer could not be verified. Try again.",
    "counter": "This passkey could not be trusted (it may have been copied). Sign in another way and check your passkeys.",
    "model": "This kind of passkey or security key is not accepted here.",
    "duplicate": "This passkey is already registered.",
    "unsupported": "This browser cannot use passkeys here.",
    "locked": "Too many failed attempts. Sign-in is paused: try again later, or reset your password.",
    "stale": "For your security, sign in again before changing your passkeys.",
    "step_up": "Confirm it is you with your passkey or your authenticator app before changing how you sign in.",
    "bound_here": "A passkey added since you signed in cannot confirm this sign-in. Sign in with it again to use it.",
}
_MESSAGE_KEY = "passkey_message"


def offer(purpose: str, user_id: str | None = None) -> Ceremony | None:
    """A new ceremony for a page to embed, or None when passkeys are off (IP-address issuer)."""
    passkeys = services().passkeys
    return passkeys.begin_authentication(purpose, user_id) if passkeys.enabled else None


def refusal_from_browser(form) -> PasskeyRefused | None:
    """The script reports a ceremony the browser ended (NotAllowedError: cancelled or timed out;
    SecurityError: not allowed on this origin) instead of a credential."""
    error = (form.get("error") or "")[:40]
    if error:
        return PasskeyRefused("unsupported" if error in ("NotSupportedError", "SecurityError") else "cancelled",
                              detail=error)
    return None


# What a guesser or a phishing relay produces: these count like wrong passwords. A cancelled,
# stale or repeated page, or a refused registration, is no attempt to get in.
COUNTED = {"wrong_origin", "unknown_credential", "invalid", "counter"}


def refuse(event: str, refused: PasskeyRefused, email: str | None = None, sign_in: bool = True) -> None:
    """Audit the refusal and, for a sign-in, count it against the account when one is known;
    remember the message for the next page."""
    audit.record(event, user_id=refused.user_id, reason=refused.reason, **({"detail": refused.detail}
                                                                            if refused.detail else {}))
    if sign_in and refused.reason in COUNTED and (email or refused.user_id):
        svc = services()
        if email is None:
            user = svc.users.by_id(refused.user_id)
            email = user.email if user else None
        if email and (lock := svc.lockout.failure(email)):
            audit.record("login.locked", user_id=refused.user_id, seconds=lock)
    flash(refused.reason)


def flash(reason: str) -> None:
    session[_MESSAGE_KEY] = reason


def pop_message() -> str | None:
    reason = session.pop(_MESSAGE_KEY, None)
    return _(MESSAGES[reason]) if reason in MESSAGES else None


def second_factor_by_passkey(user_id: str, interaction: dict | None) -> bool:
    """After a password: ask for the passkey although two-step verification is off, because the
    relying party requires more than a password (acr_values, essential acr) and the account has one."""
    from idp.accounts.mfa import required_acr

    return bool(interaction) and required_acr(interaction["params"]) is not None and services().passkeys.has_any(user_id)
