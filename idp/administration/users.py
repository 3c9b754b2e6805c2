"""Users, as administrators manage them: list, read, create, change, disable, delete (issue 15).

The admin API, `idp users …` and the console call these; each write checks the caller's version
(when given), writes with a compare-and-set on the row (two concurrent writers of one version:
exactly one wins, the other gets PreconditionFailed), then does what follows from it (sessions
ended, grants revoked, mail sent) and records an audit event naming the actor and what changed.

Disabling or deleting the last enabled administrator is refused (Conflict, as revoking them is in
administrators.py): nobody could enter the console any more. The check is part of the write's own
statement, with the administrators locked (idp/store/administrators.py), so two such writes at
once cannot both pass (issue 30, 4).
"""

from __future__ import annotations

import re

from idp.accounts import passwords
from idp.accounts.user_metadata import KINDS as METADATA, InvalidMetadata, check_metadata, serialised
from idp.administration import DEFAULT_LIMIT, Actor, Page, check_limit, check_version, page_of, version_of
from idp.administration.errors import Conflict as Refused, Duplicate, Invalid, NotFound, PreconditionFailed
from idp.administration.search import check_query
from idp.events import types as events
from idp.observability import audit
from idp.plumbing.security import hash_password
from idp.store.errors import Conflict
from idp.store.users import UserRecord

EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
MAX_EMAIL, MAX_NAME, MAX_SEARCH = 320, 255, 320
SEND_EMAIL = ("verification", "set_password")
CHANGEABLE = ("email", "name", "email_verified", "disabled", *METADATA)


def user_version(user: UserRecord) -> str:
    return version_of(user.id, user.email, user.email_verified, user.name, user.disabled, user.has_password,
                      user.updated_at.isoformat(), serialised([user.app_metadata, user.user_metadata]))


def check_metadata_fields(values: dict, max_bytes: int, errors: dict) -> dict:
    """app_metadata / user_metadata of `values` as stored (idp/accounts/user_metadata.py), the
    wrong ones named in `errors`."""
    checked = {}
    for kind in METADATA:
        if kind in values:
            try:
                checked[kind] = check_metadata(values[kind], max_bytes)
            except InvalidMetadata as exc:
                errors[kind] = str(exc)
    return checked


def check_email(email, errors: dict) -> str | None:
    if not isinstance(email, str) or len(email) > MAX_EMAIL or not EMAIL.match(email.strip()):
        errors["email"] = "must be an email address (at most 320 characters)"
        return None
    return email.strip().lower()


def check_name(name, errors: dict) -> str | None:
    if name is not None and (not isinstance(name, str) or len(name) > MAX_NAME
                             or any(ord(c) < 32 or ord(c) == 127 for c in name)):
        errors["name"] = f"must be text of at most {MAX_NAME} characters, without control characters"
        return None
    return (name or "").strip() or None


class UserAdmin:
    """Built on the services container (idp/services.py): `UserAdmin(services)`."""

    def __init__(self, services):
        self.svc = services
        self.users = services.users

    # -- reading -----------------------------------------------------------------
    def list(self, *, search: str | None = None, disabled: bool | None = None, after: list | None = None,
             limit: int = DEFAULT_LIMIT, q: str | None = None) -> Page:
        """By email; `search`: email or name prefix (case-insensitive); `q`: text the email or name
        holds anywhere (idp/administration/search.py); `after`: the previous page's next_key."""
        check_limit(limit)
        errors = {}
        q = check_query(q, errors)
        if search is not None and (not isinstance(search, str) or len(search) > MAX_SEARCH):
            errors["search"] = f"text of at most {MAX_SEARCH} characters"
        if after is not None and not (isinstance(after, list) and len(after) == 1 and isinstance(after[0], str)):
            errors["cursor"] = "not a cursor of this list"
        if errors:
            raise Invalid(errors)
        rows = self.users.page(after[0] if after else None, limit + 1, prefix=search or None, disabled=disabled,
                               contains=q)
        return page_of(rows, limit, lambda user: [user.email])

    def get(self, user_id: str) -> UserRecord:
        # A NUL names no row, and PostgreSQL refuses even to compare a text holding one.
        user = self.users.record(user_id) if isinstance(user_id, str) and len(user_id) <= 36 \
            and "\0" not in user_id else None
        if user is None:
            raise NotFound("user", str(user_id))
        return user

    def by_email(self, email: str) -> UserRecord:
        found = self.users.by_email(email)
        if found is None:
            raise NotFound("user with email", email)
        return self.get(found.id)

    # -- writing -----------------------------------------------------------------
    def create(self, actor: Actor, *, email, name=None, password=None, email_verified=False,
               send_email=None, metadata: dict | None = None) -> UserRecord:
        """With a password (the policy of idp/accounts/passwords.py) or without one (the user sets it
        through the emailed link, send_email="set_password"); send_email="verification" asks them to
        confirm the address."""
        errors = {}
        email = check_email(email, errors)
        name = check_name(name, errors)
        if password is not None:
            reason = passwords.problem(password, email or "") if isinstance(password, str) else "must be text"
            if reason:
                errors["password"] = reason
        if type(email_verified) is not bool:
            errors["email_verified"] = "must be true or false"
        if send_email is not None and send_email not in SEND_EMAIL:
            errors["send_email"] = "one of: " + ", ".join(SEND_EMAIL)
        metadata = check_metadata_fields(metadata or {}, self.svc.config.user_metadata_max_bytes, errors)
        if errors:
            raise Invalid(errors)
        try:
            with self.svc.events.change():  # the user and its user.created event commit together
                view = self.users.create(email, hash_password(password) if password else None, name,
                                         email_verified=email_verified, **metadata)
                self.svc.events.emit("user.created", events.user_created(view.id, view.email, view.name,
                                                                         email_verified), user_id=view.id)
        except Conflict:
            raise Duplicate("email", f"a user with email {email} exists") from None
        audit.record("user.created", user_id=view.id, actor=actor.label, email=view.email,
                     email_verified=email_verified, password_set=password is not None, email_sent=send_email,
                     metadata=sorted(k for k, v in metadata.items() if v))
        self._send(view.id, send_email)
        return self.get(view.id)

    def update(self, actor: Actor, user_id: str, changes: dict, version: str | None = None) -> UserRecord:
        """Change email (unverified again unless email_verified is given; a verification mail goes
        out), name, email_verified, disabled (with what disabling does, see set_disabled)."""
        return self._update(actor, user_id, changes, version)[0]

    def _update(self, actor: Actor, user_id: str, changes: dict, version: str | None) -> tuple[UserRecord, dict]:
        if not isinstance(changes, dict):
            raise Invalid({"body": "must be a JSON object"})
        current = self.get(user_id)
        check_version(version, user_version(current))
        errors, values = {}, {}
        for field in set(changes) - set(CHANGEABLE):
            errors[field] = "cannot be changed here"
        if "email" in changes:
            values["email"] = check_email(changes["email"], errors)
        if "name" in changes:
            values["name"] = check_name(changes["name"], errors)
        for flag in ("email_verified", "disabled"):
            if flag in changes:
                if type(changes[flag]) is not bool:
                    errors[flag] = "must be true or false"
                values[flag] = changes[flag]
        values.update(check_metadata_fields(changes, self.svc.config.user_metadata_max_bytes, errors))
        if errors:
            raise Invalid(errors)
        values = {k: v for k, v in values.items() if getattr(current, k) != v}
        if "email" in values and "email_verified" not in changes:
            values["email_verified"] = False  # a new address is proved again
        if not values:
            return current, {}
        with self.svc.events.change():  # the change and its events commit together
            self._write(current, values)
            self.svc.events.emit("user.updated", events.user_updated(current.id, values), user_id=current.id)
            if "disabled" in values:
                self.svc.events.emit("user.disabled" if values["disabled"] else "user.enabled",
                                     events.user_only(current.id), user_id=current.id)
        # metadata may hold what an audit trail should not copy: its names only
        audit.record("user.updated", user_id=current.id, actor=actor.label,
                     changed={k: ("(changed)" if k in METADATA else v) for k, v in values.items()})
        effects = self._after_disabled_change(actor, current.id, values.get("disabled"))
        if "email" in values and not values["email_verified"]:
            self._send(current.id, "verification")
        return self.get(current.id), effects

    def set_disabled(self, actor: Actor, user_id: str, disabled: bool, version: str | None = None) -> dict:
        """Disable: sign-in and token issuance refused on every replica, every browser session
        ended (relying parties told by back-channel logout), every grant's tokens revoked.
        Enable: sign-in allowed again (ended sessions and revoked tokens stay so).
        Returns what followed: {"sessions_ended": n, "grants_revoked": n} on disabling."""
        return self._update(actor, user_id, {"disabled": disabled}, version)[1]

    def delete(self, actor: Actor, user_id: str, version: str | None = None) -> None:
        """The user and what hangs on them: consents, refresh-token families (their access tokens
        revoked too), federated links, second factors, browser sessions."""
        current = self.get(user_id)
        check_version(version, user_version(current))
        families = self.svc.refresh_tokens.active_families(current.id)
        with self.svc.events.change():
            deleted = self.users.delete_if_unchanged(current.id, current.updated_at)
            if deleted:
                self.svc.events.emit("user.deleted", events.user_only(current.id), user_id=current.id)
        if not deleted:
            self._refused(current)
        for family_id in families:  # the rows went with the user; their access tokens must go too
            self.svc.tokens.revoke_grant(family_id)
        ended = self.svc.sessions.end_all(current.id)
        audit.record("user.deleted", user_id=current.id, actor=actor.label, email=current.email,
                     sessions_ended=ended, grants_revoked=len(families))

    # -- helpers -----------------------------------------------------------------
    def _write(self, current: UserRecord, values: dict) -> None:
        try:
            done = self.users.update_if_unchanged(current.id, current.updated_at,
                                                  keep_an_administrator=values.get("disabled") is True, **values)
        except Conflict:
            raise Duplicate("email", f"a user with email {values.get('email')} exists") from None
        if not done:
            self._refused(current)

    def _refused(self, current: UserRecord):
        """A guarded compare-and-set wrote nothing: the user is gone, or was changed by someone else
        meanwhile, or (unchanged) they are the last enabled administrator."""
        now = self.users.record(current.id)
        if now is None:
            raise NotFound("user", current.id)
        if now.updated_at == current.updated_at:
            raise Refused(f"{current.email} is the last administrator who can enter the console: "
                          "grant another one (or enable one) first")
        raise PreconditionFailed()

    def _after_disabled_change(self, actor: Actor, user_id: str, disabled: bool | None) -> dict:
        if disabled is None:
            return {}
        if not disabled:
            audit.record("user.enabled", user_id=user_id, actor=actor.label)
            return {}
        effects = {"sessions_ended": self.svc.sessions.end_all(user_id),
                   "grants_revoked": self.svc.tokens.revoke_user_grants(user_id)}
        audit.record("user.disabled", user_id=user_id, actor=actor.label, **effects)
        return effects

    def _send(self, user_id: str, what: str | None) -> None:
        if what is None:
            return
        view = self.users.by_id(user_id)
        if what == "verification":
            self.svc.accounts.send_verification(view)
        else:
            self.svc.accounts.send_password_reset(view, template="set_password")
