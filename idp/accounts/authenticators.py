"""Who may change an account's authenticators, and telling the owner when they change.

NIST SP 800-63B 6.1.2.1 and OWASP ASVS V2.7 (4.0.3 2.7 and V3.7.1): binding a new authenticator
to an account that already has a second factor or a passkey needs a sign-in *at that level* in
this session, recently — not merely a recent sign-in. Otherwise a phished password plants an
attacker's passkey next to the owner's, and the next relying party that asks for a phishing-
resistant sign-in gets one. The same rule covers enrolling TOTP, regenerating recovery codes and
removing an authenticator. An account with a password only may add its first second factor
after a recent sign-in (there is no stronger factor to ask for).

A factor proves nothing for the session that bound it: a step-up (or the passkey step of an
authorization request) counts only with an authenticator that existed before the session began,
so a passkey added in a password session never makes that session phishing-resistant.

Every change is mailed to the account's address (ASVS 4.0.3 2.5.5 / 5.0 V6.3.7), whichever
surface made it — the account pages, or an administrator through the console, API or CLI. The
mail names the kind of authenticator and the time: never a secret, a code or a credential id.
"""

from __future__ import annotations

import datetime as dt
import time

from idp.accounts.lifecycle import Accounts
from idp.accounts.mfa import Mfa
from idp.accounts.passkeys import PasskeyService
from idp.store.users import UserView

TOTP = "totp"
PASSKEY = "passkey"
PASSKEY_METHODS = frozenset({"hwk", "swk"})  # RFC 8176: what a passkey sign-in puts in amr
OTP_METHOD = "otp"  # RFC 8176: a TOTP or a recovery code

# Refusals of a change, for the page to explain (None: the change may go ahead).
STALE_SIGN_IN = "stale"  # the sign-in is older than the re-authentication window
NEEDS_STEP_UP = "step_up"  # the account has a factor this session did not use

# What the owner is told, per change (templates/email/authenticator_changed.txt).
CHANGES = ("passkey_added", "passkey_removed", "passkeys_removed_by_admin", "totp_enabled", "totp_disabled",
           "recovery_codes_regenerated", "second_factors_removed_by_admin")


def _epoch(moment: dt.datetime) -> float:
    """The stores keep naive UTC datetimes (idp.store.models.utcnow)."""
    return moment.replace(tzinfo=dt.timezone.utc).timestamp() if moment.tzinfo is None else moment.timestamp()


class Authenticators:
    def __init__(self, mfa: Mfa, passkeys: PasskeyService, accounts: Accounts, reauth_window: int):
        self.mfa = mfa
        self.passkeys = passkeys
        self.accounts = accounts
        self.reauth_window = reauth_window

    def factors(self, user_id: str) -> set[str]:
        """The account's authenticators beyond the password: TOTP and/or passkeys."""
        return ({TOTP} if self.mfa.is_enrolled(user_id) else set()) | (
            {PASSKEY} if self.passkeys.has_any(user_id) else set())

    @staticmethod
    def proves(amr: list[str], factors: set[str]) -> bool:
        """Whether a sign-in with these methods used one of these factors."""
        methods = set(amr or ())
        return (TOTP in factors and OTP_METHOD in methods) or (PASSKEY in factors and bool(PASSKEY_METHODS & methods))

    def change_refusal(self, user_id: str, amr: list[str], auth_time: int, now: float | None = None) -> str | None:
        """Why this session may not add or remove an authenticator (STALE_SIGN_IN, NEEDS_STEP_UP), or None when it may."""
        if (now or time.time()) - int(auth_time or 0) > self.reauth_window:
            return STALE_SIGN_IN
        factors = self.factors(user_id)
        return NEEDS_STEP_UP if factors and not self.proves(amr, factors) else None

    # -- what a step-up may use --------------------------------------------------------
    @staticmethod
    def predates(created_at: dt.datetime | None, authenticated_at: float) -> bool:
        """An authenticator bound before the session authenticated (so not on the strength of it)."""
        return created_at is not None and _epoch(created_at) < float(authenticated_at or 0)

    def totp_predates(self, user_id: str, authenticated_at: float) -> bool:
        credential = self.mfa.totp.get(user_id)
        return credential is not None and self.predates(credential.created_at, authenticated_at)

    def step_up_factors(self, user_id: str, authenticated_at: float) -> set[str]:
        """The factors a step-up in this session may use: those that existed before it authenticated."""
        usable = {TOTP} if self.totp_predates(user_id, authenticated_at) else set()
        if any(self.predates(p.created_at, authenticated_at) for p in self.passkeys.for_user(user_id)):
            usable.add(PASSKEY)
        return usable

    # -- telling the owner ---------------------------------------------------------------
    def changed(self, user: UserView, change: str) -> None:
        """Mail the owner about a change (one of CHANGES)."""
        if change not in CHANGES:
            raise ValueError(f"unknown authenticator change {change!r}")
        self.accounts.notify(user, "authenticator_changed", change=change,
                             when=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
