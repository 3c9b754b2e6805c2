"""OAuth clients (relying parties and resource servers) and the initial access tokens that let
one register dynamically (RFC 7591 3)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from idp.plumbing.origins import client_origins
from idp.plumbing.security import (
    check_client_secret,
    hash_client_secret,
    random_token,
    token_hash,
)
from idp.store.db import Database
from idp.store.errors import Conflict, StaleVersion
from idp.store.search import matching
from idp.store.models import (
    Client,
    InitialAccessToken,
    utcnow,
)

# Scopes of the admin API (issue 15): only an operator grants them (`idp clients create --scope`),
# and only the client_credentials grant carries them (idp/oauth/grants/client_credentials.py).
ADMIN_SCOPES = ("admin:read", "admin:write")


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
    version: int = 1
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    previous_secret_hash: str | None = None
    previous_secret_salt: str | None = None
    previous_secret_expires_at: dt.datetime | None = None
    claim_mappings: tuple = ()  # issue 35: set by an administrator only (idp/apis/claim_mappings.py)

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == "none"

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        # RFC 6749 3.1.2.3: only when exactly one is registered may it be omitted.
        return self.redirect_uris[0] if len(self.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope):
        """What a user may grant this client (authorization, consent, device flow): the client's
        scopes but the admin ones, which no user's consent confers (RFC 6749 3.3: the server may
        grant less than asked)."""
        allowed = [s for s in self.scope.split() if s not in ADMIN_SCOPES]
        if not scope:
            return " ".join(allowed)
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        # Exact string comparison (RFC 9700 2.1): no prefix, no pattern.
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        """The current secret, or the previous one until its grace period ends (a rotation);
        both are compared every time, in constant time, so the answer's timing tells nothing."""
        current = check_client_secret(client_secret, self.secret_salt, self.secret_hash)
        previous = check_client_secret(client_secret, self.previous_secret_salt, self.previous_secret_hash)
        return current or (previous and self.previous_secret_live)

    @property
    def previous_secret_live(self) -> bool:
        return self.previous_secret_expires_at is not None and self.previous_secret_expires_at > utcnow()

    @property
    def origins(self) -> frozenset[str]:
        """The browser origins that may read this client's answers (CORS, idp/plumbing/cors.py)."""
        return client_origins(self.redirect_uris, self.client_metadata)

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
        version=row.version or 1,
        created_at=row.created_at,
        updated_at=row.updated_at,
        previous_secret_hash=row.previous_secret_hash,
        previous_secret_salt=row.previous_secret_salt,
        previous_secret_expires_at=row.previous_secret_expires_at,
        claim_mappings=tuple(row.claim_mappings or ()),
    )


SHARED_SECRET_FIELD = "client_secret_encrypted"
PREVIOUS_SHARED_SECRET_FIELD = "previous_client_secret_encrypted"  # a client_secret_jwt client's, during the grace
SHARED_SECRET_FIELDS = (SHARED_SECRET_FIELD, PREVIOUS_SHARED_SECRET_FIELD)
INTERNAL_FIELDS = (*SHARED_SECRET_FIELDS, "secret")  # never described to anyone


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
        self._origins: tuple[frozenset[str], float] = (frozenset(), 0.0)

    def known_origins(self) -> frozenset[str]:
        """Every client's origins, for CORS preflights, which name no client (idp/plumbing/cors.py):
        one scan of the clients' redirect URIs and metadata, kept cache_ttl seconds in this process,
        so that preflights from anywhere cost at most one scan per period."""
        origins, until = self._origins
        if until > time.monotonic():
            return origins
        with self.db.lagging_read() as session:
            rows = session.execute(select(Client.redirect_uris, Client.metadata_)).all()
        origins = frozenset().union(*(client_origins(uris, metadata) for uris, metadata in rows))
        self._origins = (origins, time.monotonic() + self.cache_ttl)
        return origins

    def get(self, client_id: str | None, fresh: bool = False) -> OAuthClient | None:
        """fresh: read the row now (an administrator about to change it), not the cached view."""
        # No client id holds a NUL, and PostgreSQL refuses one in a query (a 500, found by idp selftest).
        if not client_id or len(client_id) > 64 or "\x00" in client_id:
            return None
        hit = self._cache.get(client_id)
        now = time.monotonic()
        if hit and hit[1] > now and not fresh:
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
        claim_mappings: list | None = None,
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
            claim_mappings=list(claim_mappings or []) or None,
        )
        try:
            with self.db.session() as session:
                session.add(row)
        except IntegrityError:
            raise Conflict(f"client {row.client_id} exists") from None
        self.db.after_commit(lambda: self._cache.pop(row.client_id, None))
        return _client_view(row), secret

    def update(self, client_id: str, expected_version: int | None = None, **fields) -> OAuthClient | None:
        """Replace registered metadata (RFC 7592 2.2); fields are Client columns (metadata as metadata_).

        With expected_version, StaleVersion unless the row still has that version when written: of
        two writers that read one version, one wins."""
        def change(row):
            if "metadata_" in fields:
                kept = {k: v for k, v in (row.metadata_ or {}).items() if k in SHARED_SECRET_FIELDS}
                fields["metadata_"] = {**fields["metadata_"], **kept}
            for name, value in fields.items():
                setattr(row, name, value)
        return self._change(client_id, expected_version, change)

    def _change(self, client_id: str, expected_version: int | None, change) -> OAuthClient | None:
        """change(row), written only if the row is still at expected_version (and at the version read:
        the mapper's version_id_col makes the UPDATE conditional), else StaleVersion."""
        try:
            with self.db.session() as session:
                row = self._versioned(session, client_id, expected_version)
                if row is None:
                    return None
                change(row)
                row.updated_at = utcnow()
                session.flush()
                view = _client_view(row)
        except StaleDataError:
            raise StaleVersion(f"client {client_id} changed meanwhile") from None
        self.db.after_commit(lambda: self._cache.pop(client_id, None))
        return view

    @staticmethod
    def _versioned(session, client_id: str, expected_version: int | None) -> Client | None:
        row = session.get(Client, client_id)
        if row is not None and expected_version is not None and row.version != expected_version:
            raise StaleVersion(f"client {client_id} is at version {row.version}, not {expected_version}")
        return row

    def rotate_secret(self, client_id: str, grace_seconds: int = 0,
                      expected_version: int | None = None) -> tuple[OAuthClient | None, str]:
        """A new secret (returned once); the current one stays valid for grace_seconds (0: refused at
        once). A secret still in an earlier grace period is dropped: at most two are ever valid."""
        secret, salt = random_token(32), random_token(16)

        def change(row):
            if grace_seconds > 0:
                row.previous_secret_hash, row.previous_secret_salt = row.secret_hash, row.secret_salt
                row.previous_secret_expires_at = utcnow() + dt.timedelta(seconds=grace_seconds)
            else:
                row.previous_secret_hash = row.previous_secret_salt = row.previous_secret_expires_at = None
            row.secret_salt, row.secret_hash = salt, hash_client_secret(secret, salt)
            metadata = dict(row.metadata_ or {})
            metadata.pop(PREVIOUS_SHARED_SECRET_FIELD, None)
            if SHARED_SECRET_FIELD in metadata:
                if grace_seconds > 0:
                    metadata[PREVIOUS_SHARED_SECRET_FIELD] = metadata[SHARED_SECRET_FIELD]
                metadata[SHARED_SECRET_FIELD] = self._wrap_secret(row.client_id, secret)
            row.metadata_ = metadata
        return self._change(client_id, expected_version, change), secret

    def _wrap_secret(self, client_id: str, secret: str) -> str:
        import base64

        blob = self.secret_wrapper.wrap(secret.encode(), "client:" + client_id)
        return base64.b64encode(blob).decode()

    def shared_secret(self, client: OAuthClient, field: str = SHARED_SECRET_FIELD) -> str | None:
        """The clear secret of a client_secret_jwt client (its assertions' HMAC key)."""
        import base64

        blob = client.client_metadata.get(field)
        if not blob or self.secret_wrapper is None:
            return None
        return self.secret_wrapper.unwrap(base64.b64decode(blob), "client:" + client.client_id).decode()

    def previous_shared_secret(self, client: OAuthClient) -> str | None:
        """The client_secret_jwt secret a rotation replaced, while its grace period lasts."""
        return self.shared_secret(client, PREVIOUS_SHARED_SECRET_FIELD) if client.previous_secret_live else None

    def page(self, limit: int, after: tuple[dt.datetime, str] | str | None = None,
             contains: str | None = None) -> list[OAuthClient]:
        """Oldest first, keyset-paged on (created_at, client_id) (its index: migration 0013). `after`:
        the previous page's last key, or the client_id printed last (`idp clients list --after`);
        `contains`: only those whose name or client_id holds it (idp/store/search.py)."""
        query = select(Client).order_by(Client.created_at, Client.client_id).limit(limit)
        if contains:
            query = query.where(matching("clients", contains))
        if isinstance(after, str):
            mark = select(Client.created_at, Client.client_id).where(Client.client_id == after).subquery()
            query = query.join(mark, tuple_(Client.created_at, Client.client_id)
                               > tuple_(mark.c.created_at, mark.c.client_id))
        elif after is not None:
            query = query.where(tuple_(Client.created_at, Client.client_id) > tuple_(*after))
        with self.db.lagging_read() as session:  # a listing: replica lag is fine
            return [_client_view(r) for r in session.scalars(query).all()]

    def delete(self, client_id: str, expected_version: int | None = None) -> bool:
        try:
            with self.db.session() as session:
                row = self._versioned(session, client_id, expected_version)
                if row is None:
                    return False
                session.delete(row)
        except StaleDataError:
            raise StaleVersion(f"client {client_id} changed meanwhile") from None
        self.db.after_commit(lambda: self._cache.pop(client_id, None))
        return True


@dataclasses.dataclass(frozen=True)
class RegistrationToken:
    """An initial access token as stored: named by its SHA-256, never by its value."""

    id: str
    uses_left: int
    expires_at: dt.datetime
    created_at: dt.datetime

    @classmethod
    def of(cls, row: InitialAccessToken) -> RegistrationToken:
        return cls(row.token_hash, row.uses_left, row.expires_at, row.created_at)


class InitialAccessTokens:
    """RFC 7591 3: bearer tokens that allow registering clients; stored as hashes, limited uses and life."""

    def __init__(self, db: Database):
        self.db = db

    def create(self, ttl: int, uses: int = 1) -> str:
        return self.issue(ttl, uses)[1]

    def issue(self, ttl: int, uses: int = 1) -> tuple[RegistrationToken, str]:
        """A new token: what is stored of it (its hash names it) and the value, which only the caller sees."""
        value = random_token(32)
        now = utcnow()
        row = RegistrationToken(token_hash(value), uses, now + dt.timedelta(seconds=ttl), now)
        with self.db.session() as session:
            session.add(InitialAccessToken(token_hash=row.id, uses_left=uses, expires_at=row.expires_at,
                                           created_at=now))
        return row, value

    def page(self, after: str | None, limit: int) -> list[RegistrationToken]:
        """By hash (the primary key: a keyset page costs the same however many there are)."""
        query = select(InitialAccessToken).order_by(InitialAccessToken.token_hash).limit(limit)
        if after is not None:
            query = query.where(InitialAccessToken.token_hash > after)
        with self.db.session() as session:
            return [RegistrationToken.of(row) for row in session.scalars(query)]

    def get(self, hashed: str) -> RegistrationToken | None:
        with self.db.session() as session:
            row = session.get(InitialAccessToken, hashed)
            return RegistrationToken.of(row) if row is not None else None

    def delete(self, hashed: str, uses_left: int | None = None) -> bool:
        """Revoke it; with uses_left, only while it still has that many (compare-and-set)."""
        condition = [InitialAccessToken.token_hash == hashed]
        if uses_left is not None:
            condition.append(InitialAccessToken.uses_left == uses_left)
        with self.db.session() as session:
            return session.execute(delete(InitialAccessToken).where(*condition)).rowcount == 1

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
