"""What happens to an account: sign-up, email verification, password reset and change, notices.

Answers never depend on whether an email has an account (OWASP Authentication Cheat Sheet,
"Authentication and error messages"; ASVS 4.0 2.5.1 for reset secrets): sign-up
with a taken address and a reset for an unknown one look exactly like the real thing to
the person at the keyboard; only the mailbox owner learns more.
"""

from __future__ import annotations

import contextlib
import datetime as dt

from flask import render_template, url_for

from idp.accounts.deferred import DeferredWork
from idp.accounts.lockout import Lockout
from idp.accounts.mail import Mailer
from idp.events import types as events
from idp.observability import audit
from idp.migration.passwords import verify as verify_password
from idp.plumbing.security import hash_password, random_token
from idp.signin.sessions import UserSessions
from idp.store.account_repos import AccountTokens
from idp.store.errors import Conflict
from idp.store.users import Users, UserView

VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"


class Accounts:
    def __init__(self, config, users: Users, links: AccountTokens, mailer: Mailer, tokens, sessions: UserSessions,
                 lockout: Lockout, events=None):
        self.config = config
        self.users = users
        self.links = links
        self.mailer = mailer
        self.tokens = tokens
        self.sessions = sessions
        self.lockout = lockout
        self.events = events  # the webhook outbox (idp/events/outbox.py)
        self.deferred = DeferredWork()

    # -- webhook events (idp/events/outbox.py): in the transaction of the change ------
    def _change(self):
        return self.events.change() if self.events else contextlib.nullcontext()

    def _emit(self, event_type: str, data: dict, user_id: str) -> None:
        if self.events:
            self.events.emit(event_type, data, user_id=user_id)

    # -- mail -----------------------------------------------------------------------
    def _link(self, endpoint: str, **params) -> str:
        # Built from ISSUER, never from the request's Host header (a forged Host would steal the token).
        return self.config.issuer + url_for(endpoint, **params)

    def notify(self, user: UserView, template: str, keep_trying_for: int = 86400, **context) -> None:
        """Render templates/email/<template>.txt (first line: 'Subject: ...') and queue it."""
        text = render_template(f"email/{template}.txt", user=user, brand=self.config.brand_name,
                               issuer=self.config.issuer, **context)
        subject, _, body = text.partition("\n")
        self.mailer.send(user.email, subject.removeprefix("Subject:").strip(), body.strip() + "\n", keep_trying_for)

    def _issue_link(self, user: UserView, purpose: str, ttl: int) -> str:
        value = random_token(32)
        self.links.add(value, user.id, purpose, ttl)
        return value

    # -- sign-up and verification ---------------------------------------------------
    def register(self, email: str, password: str | None, name: str, interaction: str | None = None) -> None:
        """password None: a passkey will be the way in, created once the email is confirmed."""
        password_hash = hash_password(password) if password else None  # hashed either way: same time for a taken address
        existing = self.users.by_email(email)
        if existing is None:
            try:
                with self._change():
                    user = self.users.create(email, password_hash, name or None, email_verified=False)
                    self._emit("user.created", events.user_created(user.id, user.email, user.name, False), user.id)
            except Conflict:  # registered by a concurrent request
                existing = self.users.by_email(email)
            else:
                audit.record("account.registered", user_id=user.id)
                self.send_verification(user, interaction)
                return
        audit.record("account.registration_for_existing_email", user_id=existing.id)
        self.notify(existing, "already_registered", login_url=self._link("web.login"),
                    reset_url=self._link("web.forgot_password"))

    def send_verification(self, user: UserView, interaction: str | None = None) -> None:
        ttl = self.config.email_verification_ttl
        token = self._issue_link(user, VERIFY_EMAIL, ttl)
        params = {"token": token, **({"interaction": interaction} if interaction else {})}
        self.notify(user, "verify_email", keep_trying_for=ttl, url=self._link("web.verify_email", **params),
                    hours=ttl // 3600)

    def verify_email(self, token: str) -> UserView | None:
        user_id = self.links.use(token, VERIFY_EMAIL)
        if user_id is None:
            return None
        user = self.users.by_id(user_id)
        if user is None:
            return None
        with self._change():
            self.users.set_email_verified(user_id)
            self._emit("user.email_verified", events.email_verified(user_id, user.email), user_id)
        audit.record("account.email_verified", user_id=user_id)
        return self.users.by_id(user_id)

    # -- password reset -------------------------------------------------------------
    def request_password_reset(self, email: str) -> None:
        """Answered at once, alike for every email: the lookup, the link and the mail happen after
        the answer (accounts/deferred.py), so neither the time nor the writes tell a known account."""
        self.deferred.submit(self._password_reset_for, email)

    def _password_reset_for(self, email: str) -> None:
        user = self.users.by_email(email)
        if user is None or user.disabled:
            audit.record("password.reset_requested_unknown")
            return
        audit.record("password.reset_requested", user_id=user.id)
        self.send_password_reset(user)

    def send_password_reset(self, user: UserView, template: str = "reset_password") -> None:
        """A single-use link to the reset page (also what an administrator sends, idp/administration)."""
        ttl = self.config.password_reset_ttl
        token = self._issue_link(user, RESET_PASSWORD, ttl)
        self.notify(user, template, keep_trying_for=ttl, url=self._link("web.reset_password", token=token),
                    minutes=ttl // 60)

    def reset_password(self, token: str, new_password: str) -> UserView | None:
        """Use the link once; set the password; end every session and refresh-token family."""
        user_id = self.links.use(token, RESET_PASSWORD)
        user = self.users.by_id(user_id) if user_id else None
        if user is None:
            return None
        new_hash = hash_password(new_password)
        with self._change():
            self.users.set_password_hash(user.id, new_hash)
            self._emit("user.password_changed", events.user_only(user.id), user.id)
            if not user.email_verified:
                self.users.set_email_verified(user.id)  # the link proved control of the mailbox
                self._emit("user.email_verified", events.email_verified(user.id, user.email), user.id)
        self.links.revoke_all(user.id, RESET_PASSWORD)
        ended = self.sessions.end_all(user.id)
        revoked = self.tokens.revoke_user_grants(user.id)
        self.lockout.clear(user.email)
        audit.record("password.reset", user_id=user.id, sessions_ended=ended, grants_revoked=revoked)
        self.notify(user, "password_changed", when=_now_text())
        return user

    def reset_link_user(self, token: str) -> UserView | None:
        user_id = self.links.peek(token, RESET_PASSWORD)
        return self.users.by_id(user_id) if user_id else None

    # -- from the account page ------------------------------------------------------
    def change_password(self, user: UserView, current: str, new_password: str, keep_sid: str | None) -> bool:
        if not verify_password(user.password_hash, current):
            audit.record("password.change_failed", user_id=user.id)
            return False
        new_hash = hash_password(new_password)
        with self._change():
            self.users.set_password_hash(user.id, new_hash)
            self._emit("user.password_changed", events.user_only(user.id), user.id)
        ended = self.sessions.end_all(user.id, keep_sid=keep_sid)
        revoked = self.tokens.revoke_user_grants(user.id)
        audit.record("password.changed", user_id=user.id, sessions_ended=ended, grants_revoked=revoked)
        self.notify(user, "password_changed", when=_now_text())
        return True


def _now_text() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
