"""OAuth clients (relying parties and resource servers) and the initial access tokens that let
one register dynamically (RFC 7591 3)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from idp.plumbing.security import (
    check_client_secret,
    hash_client_secret,
    random_token,
    token_hash,
)
from idp.store.db import Database
from idp.store.errors import Conflict
from idp.store.models import (
    Client,
    InitialAccessToken,
    utcnow,
)


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

    def page(self, limit: int, after: str | None = None) -> list[OAuthClient]:
        """Up to `limit` clients, oldest first, after client `after` (keyset on (created_at, client_id))."""
        query = select(Client)
        if after is not None:
            mark = select(Client.created_at, Client.client_id).where(Client.client_id == after).subquery()
            query = query.join(mark, tuple_(Client.created_at, Client.client_id)
                               > tuple_(mark.c.created_at, mark.c.client_id))
        query = query.order_by(Client.created_at, Client.client_id).limit(limit)
        with self.db.read() as session:
            return [_client_view(r) for r in session.scalars(query)]

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
