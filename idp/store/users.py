"""Users: the accounts table, and a short-lived snapshot of each in the ephemeral store."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging

from sqlalchemy import bindparam, delete, func, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from idp.store.administrators import keeps_an_administrator, lock_administrators
from idp.store.db import Database
from idp.store.ephemeral import EphemeralStore, is_outage
from idp.store.errors import Conflict
from idp.store.search import matching
from idp.plumbing.security import password_scheme
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
    app_metadata: dict | None = None  # issue 35: what claim mappings read (idp/accounts/user_metadata.py)
    user_metadata: dict | None = None

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
        app_metadata=row.app_metadata or None,
        user_metadata=row.user_metadata or None,
    )


@dataclasses.dataclass(frozen=True)
class UserRecord:
    """A user as administrators see them (no password hash; whether there is one)."""

    id: str
    email: str
    email_verified: bool
    name: str | None
    disabled: bool
    has_password: bool
    created_at: dt.datetime  # UTC
    updated_at: dt.datetime  # UTC, exact: a write made since changes it (the admin API's version)
    password_scheme: str | None = None  # "argon2id", or an imported scheme until the next sign-in
    app_metadata: dict | None = None
    user_metadata: dict | None = None


def _record(row) -> UserRecord:
    return UserRecord(id=row.id, email=row.email, email_verified=row.email_verified, name=row.name,
                      disabled=row.disabled, has_password=row.password_hash is not None, created_at=row.created_at,
                      updated_at=row.updated_at, password_scheme=password_scheme(row.password_hash),
                      app_metadata=row.app_metadata or None, user_metadata=row.user_metadata or None)


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


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

    def create(self, email: str, password_hash: str | None, name: str | None = None, email_verified=False,
               user_id: str | None = None, app_metadata: dict | None = None,
               user_metadata: dict | None = None) -> UserView:
        """`user_id`: an id kept from the system a user moves in from (idp/migration); else a new one."""
        email = email.strip().lower()
        try:
            with self.db.session() as session:
                row = User(email=email, password_hash=password_hash, name=name, email_verified=email_verified,
                           app_metadata=app_metadata, user_metadata=user_metadata,
                           **({"id": user_id} if user_id else {}))
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
        """After a committed change (inside a unit of work: at its commit), the next for_tokens reads
        the database, on every replica."""
        self.db.after_commit(lambda: self._tombstone(user_id))

    def _tombstone(self, user_id: str) -> None:
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
        if "\x00" in email:  # no address holds a NUL, and PostgreSQL refuses one in a query
            return None
        with self.db.read() as session:
            row = session.scalar(select(User).where(User.email == email.strip().lower()))
            return _user_view(row) if row else None

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        with self.db.session() as session:
            session.execute(update(User).where(User.id == user_id).values(password_hash=password_hash))
        self._changed(user_id)

    def replace_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> bool:
        """Compare-and-set: a sign-in's upgrade of the hash it verified never overwrites a password
        changed meanwhile."""
        with self.db.session() as session:
            done = session.execute(update(User).where(User.id == user_id, User.password_hash == old_hash)
                                   .values(password_hash=new_hash)).rowcount == 1
        self._changed(user_id)
        return done

    def set_email_verified(self, user_id: str) -> None:
        with self.db.session() as session:
            session.execute(update(User).where(User.id == user_id).values(email_verified=True))
        self._changed(user_id)

    def list(self) -> list[UserView]:
        with self.db.lagging_read() as session:  # a listing: replica lag is fine
            return [_user_view(r) for r in session.scalars(select(User).order_by(User.created_at)).all()]

    # -- administration (idp/administration/users.py) ----------------------------
    def _email_key(self):
        """The key users are listed by: email in code-point order (the index of migration 0008)."""
        return User.email.collate("C") if self.db.engine.dialect.name == "postgresql" else User.email

    def record(self, user_id: str) -> UserRecord | None:
        with self.db.read() as session:
            row = session.get(User, user_id)
            return _record(row) if row else None

    def page(self, after_email: str | None, limit: int, prefix: str | None = None,
             disabled: bool | None = None, contains: str | None = None) -> list[UserRecord]:
        """Up to `limit` users by email after `after_email` (a keyset: an index range, whatever the
        table's size), optionally whose email or name (case-insensitively) starts with `prefix`, or
        holds `contains` anywhere (idp/store/search.py)."""
        key = self._email_key()
        query = select(User).order_by(key).limit(limit)
        if after_email is not None:
            query = query.where(key > after_email)
        if disabled is not None:
            query = query.where(User.disabled == disabled)
        if prefix:
            pattern = _like_prefix(prefix.lower())
            lower_name = func.lower(User.name)
            if self.db.engine.dialect.name == "postgresql":
                lower_name = lower_name.collate("C")
            query = query.where(or_(key.like(pattern, escape="\\"), lower_name.like(pattern, escape="\\")))
        if contains:
            query = query.where(matching("users", contains))
        with self.db.lagging_read() as session:  # a listing: replica lag is fine
            return [_record(row) for row in session.scalars(query)]

    def update_if_unchanged(self, user_id: str, seen: dt.datetime, *, keep_an_administrator: bool = False,
                            **values) -> bool:
        """Apply `values` only if the row's updated_at is still `seen` (compare-and-set: of two
        concurrent writers that saw the same version, exactly one wins); Conflict on a taken email.
        keep_an_administrator: not either if it would leave no enabled administrator (a disabling)."""
        if "email" in values:
            values["email"] = values["email"].strip().lower()
        try:
            with self.db.session() as session:
                where = self._unchanged(session, user_id, seen, keep_an_administrator)
                done = session.execute(update(User).where(*where).values(**values)).rowcount == 1
        except IntegrityError:
            raise Conflict("a user with this email exists") from None
        if done:
            self._changed(user_id)
        return done

    def delete_if_unchanged(self, user_id: str, seen: dt.datetime) -> bool:
        """Delete the row (its consents, refresh tokens, links, second factors cascade) if unchanged
        since `seen`, and unless it is the last enabled administrator's."""
        with self.db.session() as session:
            where = self._unchanged(session, user_id, seen, keep_an_administrator=True)
            done = session.execute(delete(User).where(*where)).rowcount == 1
        if done:
            self._changed(user_id)
        return done

    @staticmethod
    def _unchanged(session, user_id: str, seen: dt.datetime, keep_an_administrator: bool) -> list:
        """The WHERE of a compare-and-set write; with keep_an_administrator, the administrators are
        locked first and the write must leave one enabled (idp/store/administrators.py)."""
        where = [User.id == user_id, User.updated_at == seen]
        if keep_an_administrator:
            lock_administrators(session)
            where.append(keeps_an_administrator(user_id))
        return where

    def page_by_age(self, limit: int, after: str | None = None) -> list[UserView]:
        """Up to `limit` users, oldest first, after the user with id `after` (keyset pagination on
        the (created_at, id) index: every page costs the same however deep it is). An unknown
        `after` gives an empty page."""
        query = select(User)
        if after is not None:
            mark = select(User.created_at, User.id).where(User.id == after).subquery()
            query = query.join(mark, tuple_(User.created_at, User.id) > tuple_(mark.c.created_at, mark.c.id))
        query = query.order_by(User.created_at, User.id).limit(limit)
        with self.db.lagging_read() as session:  # a listing: replica lag is fine
            return [_user_view(r) for r in session.scalars(query)]

    def set_disabled(self, user_id: str, disabled: bool) -> bool:
        with self.db.session() as session:
            changed = session.execute(update(User).where(User.id == user_id).values(disabled=disabled)).rowcount == 1
        self._changed(user_id)
        return changed


def count_by_password_scheme(db: Database) -> dict[str, int]:
    """Users per password scheme ("none" for no password), from each hash's prefix in one grouped
    count (the metric's; see idp.observability.metrics.PasswordSchemes for how often)."""
    column = User.__table__.c.password_hash
    if db.engine.dialect.name == "postgresql":
        tag = func.split_part(column, "$", 2)
    else:
        tag = func.substr(column, 2, func.instr(func.substr(column, 2), "$") - 1)
    counts: dict[str, int] = {}
    with db.lagging_read() as session:
        for prefix, users in session.execute(select(tag, func.count()).group_by(tag)):
            scheme = password_scheme(f"${prefix}$") if prefix else None
            counts[scheme or "none"] = counts.get(scheme or "none", 0) + users
    return counts


def count_users(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(User)) or 0

