"""Small repositories over the durable store; the only code that writes SQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import threading
import time

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from ..security import check_client_secret, hash_client_secret, random_token, token_hash
from .db import Database
from .ephemeral import EphemeralStore, is_outage
from .models import (Client, Consent, InitialAccessToken, PairwiseSubject, RefreshToken, Revocation, Setting, User,
                     new_id, utcnow)


log = logging.getLogger(__name__)


class Conflict(Exception):
    """A unique value (email, client_id) already exists."""


# -- users -------------------------------------------------------------------
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

    def set_disabled(self, user_id: str, disabled: bool) -> bool:
        with self.db.session() as session:
            changed = session.execute(update(User).where(User.id == user_id).values(disabled=disabled)).rowcount == 1
        self._changed(user_id)
        return changed


# -- clients -----------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class OAuthClient:
    """An immutable snapshot of a client row implementing authlib's ClientMixin."""

    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    response_types: tuple[str, ...]
    scope: str
    token_endpoint_auth_method: str
    trusted: bool
    secret_hash: str | None
    secret_salt: str | None
    client_metadata: dict
    registration_token_hash: str | None = None

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == "none"

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        # RFC 6749 3.1.2.3: only when exactly one is registered may it be omitted.
        return self.redirect_uris[0] if len(self.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope):
        if not scope:
            return self.scope
        allowed = set(self.scope.split())
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        # Exact string comparison (RFC 9700 2.1): no prefix, no pattern.
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return check_client_secret(client_secret, self.secret_salt, self.secret_hash)

    def check_endpoint_auth_method(self, method, endpoint):
        return method == self.token_endpoint_auth_method

    def check_response_type(self, response_type):
        return response_type in self.response_types

    def check_grant_type(self, grant_type):
        return grant_type in self.grant_types


def _client_view(row: Client) -> OAuthClient:
    return OAuthClient(
        client_id=row.client_id,
        name=row.name,
        redirect_uris=tuple(row.redirect_uris or ()),
        grant_types=tuple(row.grant_types or ()),
        response_types=tuple(row.response_types or ()),
        scope=row.scope,
        token_endpoint_auth_method=row.token_endpoint_auth_method,
        trusted=row.trusted,
        secret_hash=row.secret_hash,
        secret_salt=row.secret_salt,
        client_metadata=dict(row.metadata_ or {}),
        registration_token_hash=row.registration_token_hash,
    )


SHARED_SECRET_FIELD = "client_secret_encrypted"


class Clients:
    """Clients with a short in-process cache: the token endpoint must not query per request.

    A client_secret_jwt client's secret is the HMAC key of its assertions, so the server
    needs it in clear: it is kept encrypted under KEY_ENCRYPTION_KEY (secret_wrapper),
    bound to the client_id, next to the usual hash.
    """

    def __init__(self, db: Database, cache_ttl: float = 10.0, secret_wrapper=None):
        self.db = db
        self.cache_ttl = cache_ttl
        self.secret_wrapper = secret_wrapper
        self._cache: dict[str, tuple[OAuthClient | None, float]] = {}
        self._lock = threading.Lock()

    def get(self, client_id: str | None) -> OAuthClient | None:
        if not client_id or len(client_id) > 64:
            return None
        hit = self._cache.get(client_id)
        now = time.monotonic()
        if hit and hit[1] > now:
            return hit[0]
        with self.db.read() as session:
            row = session.get(Client, client_id)
            view = _client_view(row) if row else None
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[client_id] = (view, now + self.cache_ttl)
        return view

    def create(
        self,
        name: str,
        redirect_uris: list[str],
        public: bool = False,
        grant_types: list[str] | None = None,
        scope: str = "openid profile email offline_access",
        trusted: bool = False,
        client_id: str | None = None,
        auth_method: str | None = None,
        metadata: dict | None = None,
        registration_token: str | None = None,
    ) -> tuple[OAuthClient, str | None]:
        """Create a client; returns it and the plaintext secret, shown once."""
        grant_types = grant_types or (["authorization_code", "refresh_token"] if redirect_uris else ["client_credentials"])
        auth_method = "none" if public else (auth_method or "client_secret_basic")
        secret = None if auth_method in ("none", "private_key_jwt") else random_token(32)
        salt = random_token(16) if secret else None
        client_id = client_id or random_token(18)
        metadata = dict(metadata or {})
        if auth_method == "client_secret_jwt":
            metadata[SHARED_SECRET_FIELD] = self._wrap_secret(client_id, secret)
        row = Client(
            client_id=client_id,
            name=name,
            redirect_uris=list(redirect_uris),
            grant_types=list(grant_types),
            response_types=["code"] if "authorization_code" in grant_types else [],
            scope=scope,
            token_endpoint_auth_method=auth_method,
            trusted=trusted,
            secret_salt=salt,
            secret_hash=hash_client_secret(secret, salt) if secret else None,
            metadata_=metadata,
            registration_token_hash=token_hash(registration_token) if registration_token else None,
        )
        try:
            with self.db.session() as session:
                session.add(row)
        except IntegrityError:
            raise Conflict(f"client {row.client_id} exists") from None
        self._cache.pop(row.client_id, None)
        return _client_view(row), secret

    def update(self, client_id: str, **fields) -> OAuthClient | None:
        """Replace registered metadata (RFC 7592 2.2); fields are Client columns (metadata as metadata_)."""
        with self.db.session() as session:
            row = session.get(Client, client_id)
            if row is None:
                return None
            if SHARED_SECRET_FIELD in (row.metadata_ or {}) and "metadata_" in fields:
                fields["metadata_"] = {**fields["metadata_"], SHARED_SECRET_FIELD: row.metadata_[SHARED_SECRET_FIELD]}
            for name, value in fields.items():
                setattr(row, name, value)
            session.flush()
            view = _client_view(row)
        self._cache.pop(client_id, None)
        return view

    def _wrap_secret(self, client_id: str, secret: str) -> str:
        import base64

        blob = self.secret_wrapper.wrap(secret.encode(), "client:" + client_id)
        return base64.b64encode(blob).decode()

    def shared_secret(self, client: OAuthClient) -> str | None:
        """The clear secret of a client_secret_jwt client (its assertions' HMAC key)."""
        import base64

        blob = client.client_metadata.get(SHARED_SECRET_FIELD)
        if not blob or self.secret_wrapper is None:
            return None
        return self.secret_wrapper.unwrap(base64.b64decode(blob), "client:" + client.client_id).decode()

    def list(self) -> list[OAuthClient]:
        with self.db.session() as session:
            return [_client_view(r) for r in session.scalars(select(Client).order_by(Client.created_at)).all()]

    def delete(self, client_id: str) -> bool:
        with self.db.session() as session:
            row = session.get(Client, client_id)
            if row is None:
                return False
            session.delete(row)
        self._cache.pop(client_id, None)
        return True


class InitialAccessTokens:
    """RFC 7591 3: bearer tokens that allow registering clients; stored as hashes, limited uses and life."""

    def __init__(self, db: Database):
        self.db = db

    def create(self, ttl: int, uses: int = 1) -> str:
        value = random_token(32)
        with self.db.session() as session:
            session.add(InitialAccessToken(token_hash=token_hash(value), uses_left=uses,
                                           expires_at=utcnow() + dt.timedelta(seconds=ttl)))
        return value

    def _live(self, value: str):
        return (InitialAccessToken.token_hash == token_hash(value), InitialAccessToken.uses_left > 0,
                InitialAccessToken.expires_at > utcnow())

    def valid(self, value: str) -> bool:
        with self.db.session() as session:
            return session.scalar(select(func.count()).select_from(InitialAccessToken).where(*self._live(value))) == 1

    def use(self, value: str) -> bool:
        """Spend one use, atomically: True for as many concurrent callers as uses were left."""
        with self.db.session() as session:
            result = session.execute(update(InitialAccessToken).where(*self._live(value))
                                     .values(uses_left=InitialAccessToken.uses_left - 1))
            return result.rowcount == 1


class PairwiseSubjects:
    """Pairwise subjects (OIDC Core 8.1): the salt is generated once and kept in the database,
    so every replica and every restart computes the same sub; issued subs are remembered so
    userinfo can map one back to its user."""

    SALT = "pairwise_salt"

    def __init__(self, db: Database):
        self.db = db
        self._salt: str | None = None
        self._known: set[tuple[str, str]] = set()

    def _insert(self, model, **values):
        if self.db.is_sqlite:
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        with self.db.session() as session:
            session.execute(insert(model).values(**values).on_conflict_do_nothing())

    def salt(self) -> str:
        if self._salt is None:
            self._insert(Setting, name=self.SALT, value=random_token(32))  # the first replica's value wins
            with self.db.session() as session:
                self._salt = session.get(Setting, self.SALT).value
        return self._salt

    def remember(self, sector: str, subject: str, user_id: str) -> None:
        if (sector, subject) not in self._known:
            self._insert(PairwiseSubject, sector=sector, subject=subject, user_id=user_id)
            if len(self._known) > 100_000:
                self._known.clear()
            self._known.add((sector, subject))

    def user_id(self, sector: str, subject: str) -> str | None:
        with self.db.session() as session:
            row = session.get(PairwiseSubject, (sector, subject))
            return row.user_id if row else None


# -- consents ----------------------------------------------------------------
class Consents:
    def __init__(self, db: Database):
        self.db = db

    def covers(self, user_id: str, client_id: str, scopes: set[str]) -> bool:
        with self.db.read() as session:
            row = session.get(Consent, (user_id, client_id))
            return row is not None and scopes.issubset(set(row.scopes))

    def grant(self, user_id: str, client_id: str, scopes: set[str]) -> None:
        with self.db.session() as session:
            row = session.get(Consent, (user_id, client_id))
            if row is None:
                session.add(Consent(user_id=user_id, client_id=client_id, scopes=sorted(scopes)))
            else:
                row.scopes = sorted(set(row.scopes) | scopes)


# -- refresh tokens ----------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class RefreshGrant:
    token_hash: str
    family_id: str
    client_id: str
    user_id: str
    scope: str
    auth_time: int
    expires_at: dt.datetime
    rotated: bool
    revoked: bool
    dpop_jkt: str | None = None

    def check_client(self, client):
        return client.client_id == self.client_id

    def get_scope(self):
        return self.scope

    def is_expired(self):
        return self.expires_at <= utcnow()

    def is_revoked(self):
        return self.revoked or self.rotated


def _grant_view(row: RefreshToken) -> RefreshGrant:
    return RefreshGrant(
        token_hash=row.token_hash,
        family_id=row.family_id,
        client_id=row.client_id,
        user_id=row.user_id,
        scope=row.scope,
        auth_time=row.auth_time,
        expires_at=row.expires_at,
        rotated=row.rotated_at is not None,
        revoked=row.revoked_at is not None,
        dpop_jkt=row.dpop_jkt,
    )


class RefreshTokens:
    def __init__(self, db: Database):
        self.db = db

    def issue(self, value: str, family_id: str, client_id: str, user_id: str, scope: str, auth_time: int, ttl: int,
              dpop_jkt: str | None = None):
        with self.db.session() as session:
            session.add(
                RefreshToken(
                    token_hash=token_hash(value),
                    family_id=family_id,
                    client_id=client_id,
                    user_id=user_id,
                    scope=scope,
                    auth_time=auth_time,
                    expires_at=utcnow() + dt.timedelta(seconds=ttl),
                    dpop_jkt=dpop_jkt,
                )
            )

    def find(self, value: str) -> RefreshGrant | None:
        with self.db.read() as session:
            row = session.get(RefreshToken, token_hash(value))
            return _grant_view(row) if row else None

    def mark_rotated(self, grant: RefreshGrant) -> bool:
        """Atomically consume a refresh token: True for exactly one concurrent caller."""
        with self.db.session() as session:
            result = session.execute(
                update(RefreshToken)
                .where(
                    RefreshToken.token_hash == grant.token_hash,
                    RefreshToken.rotated_at.is_(None),
                    RefreshToken.revoked_at.is_(None),
                )
                .values(rotated_at=utcnow())
            )
            return result.rowcount == 1

    def active_families(self, user_id: str) -> list[str]:
        """Families of a user that still hold a usable refresh token."""
        with self.db.session() as session:
            return list(session.scalars(
                select(RefreshToken.family_id).distinct()
                .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None),
                       RefreshToken.rotated_at.is_(None), RefreshToken.expires_at > utcnow())).all())

    def revoke_family(self, family_id: str) -> None:
        with self.db.session() as session:
            session.execute(
                update(RefreshToken)
                .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )


# -- revocations -------------------------------------------------------------
class Revocations:
    """Durable list of revoked access-token jtis and grant ids (the cache lives in Redis)."""

    def __init__(self, db: Database):
        self.db = db

    def add(self, ident: str, kind: str, expires_at: dt.datetime) -> None:
        """Idempotent: concurrent revocations of one grant (a replayed refresh token) all succeed."""
        if self.db.is_sqlite:
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        statement = insert(Revocation).values(id=ident, kind=kind, expires_at=expires_at, created_at=utcnow())
        with self.db.session() as session:
            session.execute(statement.on_conflict_do_nothing(index_elements=["id"]))

    def any_active(self, idents: list[str]) -> bool:
        with self.db.read() as session:
            return session.scalar(select(func.count()).select_from(Revocation).where(
                Revocation.id.in_(idents), Revocation.expires_at > utcnow())) > 0

    def active(self) -> list[Revocation]:
        with self.db.session() as session:
            return list(session.scalars(select(Revocation).where(Revocation.expires_at > utcnow())).all())

    def purge_expired(self) -> int:
        from sqlalchemy import delete

        with self.db.session() as session:
            return session.execute(delete(Revocation).where(Revocation.expires_at <= utcnow())).rowcount


def count_users(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


__all__ = [
    "Clients", "Conflict", "Consents", "InitialAccessTokens", "PairwiseSubjects", "OAuthClient", "RefreshGrant", "RefreshTokens",
    "Revocations", "UserView", "Users", "count_users", "new_id",
]
