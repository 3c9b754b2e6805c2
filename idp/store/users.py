"""Users: the accounts table, and a short-lived snapshot of each in the ephemeral store."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging

from sqlalchemy import bindparam, func, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from idp.store.db import Database
from idp.store.ephemeral import EphemeralStore, is_outage
from idp.store.errors import Conflict
from idp.store.models import (
    User,
)

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class UserView:
    id: str
    email: str
    email_verified: bool
    name: str | None
    password_hash: str | None
    disabled: bool
    updated_at: int

    def get_user_id(self):
        return self.id


def _user_view(row: User) -> UserView:
    return UserView(
        id=row.id,
        email=row.email,
        email_verified=row.email_verified,
        name=row.name,
        password_hash=row.password_hash,
        disabled=row.disabled,
        updated_at=int(row.updated_at.replace(tzinfo=dt.timezone.utc).timestamp()),
    )


def _snapshot_key(user_id: str) -> str:
    return "user:" + user_id


class Users:
    # Token issuance (code, refresh and device grants) and userinfo read their user on every call.
    # A snapshot in the ephemeral store answers them without a database round trip, on every
    # replica. It holds no password hash and lives SNAPSHOT_TTL seconds. Every change made here
    # first replaces it with a tombstone for TOMBSTONE_TTL seconds, and snapshots are only ever
    # added where no key exists (NX), so a read that raced a change cannot put the old row back.
    SNAPSHOT_TTL, TOMBSTONE_TTL = 60, 30
    _TOMBSTONE = "-"

    def __init__(self, db: Database, cache: EphemeralStore | None = None):
        self.db, self.cache = db, cache

    def create(self, email: str, password_hash: str | None, name: str | None = None, email_verified=False) -> UserView:
        email = email.strip().lower()
        try:
            with self.db.session() as session:
                row = User(email=email, password_hash=password_hash, name=name, email_verified=email_verified)
                session.add(row)
                session.flush()
                return _user_view(row)
        except IntegrityError:
            raise Conflict(f"a user with email {email} exists") from None

    # Every code redemption and userinfo call reads its user: a prepared Core SELECT on a pooled
    # connection costs half what an ORM session.get does (no session, no identity map).
    _BY_ID = select(User.__table__).where(User.__table__.c.id == bindparam("user_id"))

    def by_id(self, user_id: str) -> UserView | None:
        with self.db.read_engine.connect() as conn:
            row = conn.execute(self._BY_ID, {"user_id": user_id}).first()
        return _user_view(row) if row else None

    def for_tokens(self, user_id: str) -> UserView | None:
        """The user as token issuance needs them (enabled? the claims), without the password hash:
        from the shared snapshot when there is one, else from the database (then kept)."""
        snapshot = self._cache_call("get", _snapshot_key(user_id))
        if snapshot and snapshot != self._TOMBSTONE:
            return UserView(**json.loads(snapshot))
        user = self.by_id(user_id)
        if user is None:
            return None
        user = dataclasses.replace(user, password_hash=None)
        if snapshot is None:
            self._cache_call("add", _snapshot_key(user_id), json.dumps(vars(user)), self.SNAPSHOT_TTL)
        return user

    def _changed(self, user_id: str) -> None:
        """After a committed change: the next for_tokens reads the database, on every replica."""
        written = self._cache_call("set", _snapshot_key(user_id), self._TOMBSTONE, self.TOMBSTONE_TTL,
                                   unreachable=False)
        if written is False:
            log.warning("user snapshot not replaced (store unreachable): it may serve for up to %ss",
                        self.SNAPSHOT_TTL)

    def _cache_call(self, method: str, *args, unreachable=None):
        """A call to the snapshot store (none: None); `unreachable` while the store cannot be reached."""
        if self.cache is None:
            return None
        try:
            return getattr(self.cache, method)(*args)
        except Exception as exc:
            if not is_outage(exc):
                raise
            return unreachable

    def by_email(self, email: str) -> UserView | None:
        with self.db.read() as session:
            row = session.scalar(select(User).where(User.email == email.strip().lower()))
            return _user_view(row) if row else None

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        with self.db.session() as session:
            session.execute(update(User).where(User.id == user_id).values(password_hash=password_hash))
        self._changed(user_id)

    def set_email_verified(self, user_id: str) -> None:
        with self.db.session() as session:
            session.execute(update(User).where(User.id == user_id).values(email_verified=True))
        self._changed(user_id)

    def list(self) -> list[UserView]:
        with self.db.session() as session:
            return [_user_view(r) for r in session.scalars(select(User).order_by(User.created_at)).all()]

    def page(self, limit: int, after: str | None = None) -> list[UserView]:
        """Up to `limit` users, oldest first, after the user with id `after` (keyset pagination on
        the (created_at, id) index: every page costs the same however deep it is). An unknown
        `after` gives an empty page."""
        query = select(User)
        if after is not None:
            mark = select(User.created_at, User.id).where(User.id == after).subquery()
            query = query.join(mark, tuple_(User.created_at, User.id) > tuple_(mark.c.created_at, mark.c.id))
        query = query.order_by(User.created_at, User.id).limit(limit)
        with self.db.read() as session:
            return [_user_view(r) for r in session.scalars(query)]

    def set_disabled(self, user_id: str, disabled: bool) -> bool:
        with self.db.session() as session:
            changed = session.execute(update(User).where(User.id == user_id).values(disabled=disabled)).rowcount == 1
        self._changed(user_id)
        return changed


def count_users(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(User)) or 0

