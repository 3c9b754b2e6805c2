"""Signing keys: generation, encryption at rest, rotation, the published JWKS, signing and verifying.

Lifecycle, per algorithm (see shared/README):
    next (published, not signing) -> current (signs) -> retired (published until
    every token it signed has expired) -> deleted;  revoked = removed at once.
Rotation promotes `next` and creates a new `next`, so relying parties that cache
the JWKS know a key before it signs. One replica rotates at a time (a PostgreSQL
advisory lock); every process keeps decrypted key objects in memory and re-reads
the table only when its version changes, so signing never decrypts or queries.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import threading
import time
import warnings

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import import_key
from sqlalchemy import delete, select, text

from idp.observability.tracing import span
from idp.plumbing import json_input
from idp.plumbing.encryption import KeyWrapper
from idp.store.db import Database
from idp.store.models import SigningKey, utcnow
from idp.tokens.key_material import b64url_decode, generate_private_key, key_row, load_key, try_pem

log = logging.getLogger("idp.keys")
warnings.filterwarnings("ignore", message=".*EdDSA is deprecated.*")  # RFC 9864; RPs still ask for "EdDSA"

PUBLISHED_STATES = ("next", "current", "retired")
SUPPORTED_ALGS = ("RS256", "ES256", "EdDSA")
ROTATION_LOCK = 727001


class InvalidJWT(Exception):
    pass


class KeyExists(ValueError):
    """import_private_key: a key with this kid is stored already (in any state, revoked included)."""


class RotationTooEarly(Exception):
    """The next key is younger than the JWKS cache lifetime: relying parties may not know it yet."""


class KeyManager:
    def __init__(self, db: Database, kek: str, *, algs=("RS256",), rsa_bits: int = 2048,
                 rotation_interval: int = 30 * 86400, longest_token_ttl: int = 3600,
                 jwks_max_age: int = 300, cache_seconds: float = 5.0, skew: int = 60):
        self._db = db
        self._wrapper = KeyWrapper(kek)
        self.algs = tuple(algs)
        self.rsa_bits = rsa_bits
        self.rotation_interval = rotation_interval
        self.jwks_max_age = jwks_max_age
        self.cache_seconds = cache_seconds
        # A retired key stays published while anything it signed may still be presented or cached.
        self.retire_after = longest_token_ttl + jwks_max_age + skew
        self._lock = threading.Lock()
        self._checked_at = 0.0
        self.version = ""
        self._current: dict[str, tuple[str, object]] = {}
        self._promoted_at: dict[str, dt.datetime] = {}
        self._verify_keys: dict[str, tuple[str, object]] = {}
        self._verified: dict[tuple[str, str | None], dict] = {}  # see verify()
        self._jwks_body = b""
        self._jwks_etag = ""
        self.on_change = None  # called with the new version after a change (the services publish it in Redis)
        # called (alg, kid, previous kid) inside the transaction that makes a new key current (an
        # administrator's rotation, the scheduled one, retiring or revoking the current key): the
        # services write the key.rotated webhook event there (idp/events/outbox.py)
        self.on_promoted = None

    # -- writing the table (one replica at a time) ---------------------------
    def _transaction(self, work, after_commit=None):
        """Run work(session) under the rotation lock, then publish the change to this process and others.
        A unit of work: what on_promoted writes commits with the change."""
        with self._db.unit_of_work() as session:
            if not self._db.is_sqlite:
                session.execute(text(f"SELECT pg_advisory_xact_lock({ROTATION_LOCK})"))
            result = work(session)
        self._db.after_commit(lambda: self._published(after_commit))
        return result

    def _published(self, after_commit=None) -> None:
        if after_commit:
            after_commit()
        self.reload(force=True)
        if self.on_change:
            self.on_change(self.version)

    def _fill(self, session, alg: str) -> None:
        """Make sure alg has a current and a next key."""
        states = set(session.scalars(select(SigningKey.state).where(SigningKey.alg == alg)).all())
        if "current" not in states:
            session.add(key_row(self._wrapper, generate_private_key(alg, self.rsa_bits), "current"))
        if "next" not in states:
            session.add(key_row(self._wrapper, generate_private_key(alg, self.rsa_bits), "next"))

    def ensure_signing_keys(self) -> None:
        """At start: every configured algorithm has a current and a next key, and all of them decrypt."""
        def work(session):
            for alg in self.algs:
                self._fill(session, alg)
        self._transaction(work)

    ensure_signing_key = ensure_signing_keys

    def _promote(self, session, alg: str, old: SigningKey | None, old_state: str = "retired") -> str:
        now = utcnow()
        if old is not None:
            old.state = old_state
            old.retired_at = now
            old.retire_until = now + dt.timedelta(seconds=self.retire_after) if old_state == "retired" else now
        nxt = session.scalar(select(SigningKey).where(SigningKey.alg == alg, SigningKey.state == "next"))
        if nxt is None:
            nxt = key_row(self._wrapper, generate_private_key(alg, self.rsa_bits), "next")
            session.add(nxt)
        nxt.state = "current"
        nxt.promoted_at = now
        session.add(key_row(self._wrapper, generate_private_key(alg, self.rsa_bits), "next"))
        session.execute(delete(SigningKey).where(SigningKey.state == "retired", SigningKey.retire_until < now))
        if old is not None and self.on_promoted:
            self.on_promoted(alg, nxt.kid, old.kid)
        return nxt.kid

    def rotate(self, alg: str = "RS256", expected_current: str | None = None, force: bool = False) -> str | None:
        """Promote next -> current, current -> retired, add a new next. Returns the new current kid.

        With expected_current, rotate only if that key still signs: two replicas (or two
        operators) that decided to rotate the same key produce one rotation, not two.
        Without force, refuse to promote a next key published for less than the JWKS
        cache lifetime: a relying party holding an older JWKS could not verify it.
        """
        def work(session):
            current = session.scalar(select(SigningKey).where(SigningKey.alg == alg, SigningKey.state == "current"))
            if expected_current is not None and (current is None or current.kid != expected_current):
                return None
            nxt = session.scalar(select(SigningKey).where(SigningKey.alg == alg, SigningKey.state == "next"))
            if not force and nxt is not None:
                age = (utcnow() - nxt.created_at).total_seconds()
                if age < self.jwks_max_age:
                    raise RotationTooEarly(
                        f"the next {alg} key {nxt.kid} was published {int(age)}s ago and relying parties may "
                        f"cache the JWKS for {self.jwks_max_age}s: wait, or force the rotation")
            kid = self._promote(session, alg, current)
            log.info("signing key rotated", extra={"alg": alg, "kid": kid})
            return kid
        return self._transaction(work)

    def retire(self, kid: str) -> bool:
        """Stop signing with kid now; keep publishing it until what it signed has expired."""
        return self._end(kid, "retired")

    def revoke(self, kid: str) -> bool:
        """Compromise: remove kid from the JWKS at once; tokens it signed stop verifying."""
        return self._end(kid, "revoked")

    def _end(self, kid: str, new_state: str) -> bool:
        def work(session):
            row = session.get(SigningKey, kid)
            if row is None or row.state == "revoked":
                return False
            if row.state == "current":
                self._promote(session, row.alg, row, new_state)
            else:
                if row.state == "next":
                    session.add(key_row(self._wrapper, generate_private_key(row.alg, self.rsa_bits), "next"))
                now = utcnow()
                row.state, row.retired_at = new_state, now
                row.retire_until = now + dt.timedelta(seconds=self.retire_after) if new_state == "retired" else now
            return True
        return self._transaction(work)

    def import_private_key(self, data: bytes | str | dict) -> str:
        """Import a private key (PEM or JWK) as its algorithm's `next` key: published at once,
        signing from the next rotation. The generated `next` it replaces never signed anything."""
        if isinstance(data, dict):
            key = import_key(data, data.get("kty"))
        else:
            key = next((k for k in (try_pem(data, t) for t in ("RSA", "EC", "OKP")) if k is not None), None)
            if key is None:
                raise ValueError("not a PEM private key of type RSA, EC (P-256) or OKP (Ed25519)")
        if not key.is_private:
            raise ValueError("the key has no private part")

        def work(session):
            row = key_row(self._wrapper, key, "next")
            if session.get(SigningKey, row.kid) is not None:
                raise KeyExists(f"key {row.kid} exists")
            session.execute(delete(SigningKey).where(SigningKey.alg == row.alg, SigningKey.state == "next"))
            session.add(row)
            return row.kid
        return self._transaction(work)

    def export(self, kid: str, private: bool = False) -> dict:
        """The public JWK, or with private=True the decrypted private JWK (for a migration or a backup)."""
        with self._db.session() as session:
            row = session.get(SigningKey, kid)
            if row is None:
                raise KeyError(kid)
            if not private:
                return dict(row.public_jwk)
            key = load_key(self._wrapper.unwrap(row.private_key_encrypted, row.kid), row.alg)
            data = key.as_dict(private=True)
            data.update({"kid": row.kid, "use": "sig", "alg": row.alg})
            return data

    def rewrap(self, new_kek: str) -> int:
        """Re-encrypt every stored private key under a new key-encryption key, in one transaction."""
        new = KeyWrapper(new_kek)

        def work(session):
            rows = session.scalars(select(SigningKey)).all()
            for row in rows:
                row.private_key_encrypted = new.wrap(self._wrapper.unwrap(row.private_key_encrypted, row.kid), row.kid)
            self._rewrap_client_secrets(session, new)
            self._rewrap_totp_secrets(session, new)
            self._rewrap_connection_secrets(session, new)
            self._rewrap_webhook_secrets(session, new)
            return len(rows)
        return self._transaction(work, after_commit=lambda: setattr(self, "_wrapper", new))

    def _rewrap_totp_secrets(self, session, new: KeyWrapper) -> None:
        """TOTP secrets are encrypted under the same key (idp/accounts/mfa.py), bound to their user."""
        from idp.store.models import TotpCredential

        for credential in session.scalars(select(TotpCredential)).all():
            aad = "totp:" + credential.user_id
            credential.secret_encrypted = new.wrap(self._wrapper.unwrap(credential.secret_encrypted, aad), aad)

    def _rewrap_connection_secrets(self, session, new: KeyWrapper) -> None:
        """Organizations' enterprise connections' client secrets (idp/store/organization_connections.py)."""
        from idp.store.organization_models import OrganizationConnection

        for connection in session.scalars(select(OrganizationConnection)).all():
            aad = "org-connection:" + connection.id
            clear = self._wrapper.unwrap(base64.b64decode(connection.client_secret), aad)
            connection.client_secret = base64.b64encode(new.wrap(clear, aad)).decode()
    def _rewrap_webhook_secrets(self, session, new: KeyWrapper) -> None:
        """Webhook signing secrets (idp/events/admin.py), the previous one too during a rotation's overlap."""
        from idp.store.webhook_models import WebhookEndpoint

        for endpoint in session.scalars(select(WebhookEndpoint)).all():
            aad = "webhook:" + endpoint.id
            endpoint.secret = new.wrap(self._wrapper.unwrap(endpoint.secret, aad), aad)
            if endpoint.previous_secret:
                endpoint.previous_secret = new.wrap(self._wrapper.unwrap(endpoint.previous_secret, aad), aad)

    def _rewrap_client_secrets(self, session, new: KeyWrapper) -> None:
        """client_secret_jwt secrets are encrypted under the same key (idp.store.clients.Clients)."""

        from idp.store.clients import SHARED_SECRET_FIELDS
        from idp.store.models import Client

        for client in session.scalars(select(Client)).all():
            aad = "client:" + client.client_id
            for field in SHARED_SECRET_FIELDS:  # the current secret, and the previous one during a rotation's grace
                blob = (client.metadata_ or {}).get(field)
                if blob:
                    clear = self._wrapper.unwrap(base64.b64decode(blob), aad)
                    client.metadata_ = {**client.metadata_, field: base64.b64encode(new.wrap(clear, aad)).decode()}

    # -- reading (every request) ---------------------------------------------
    def _table_version(self) -> str:
        with self._db.read() as session:
            rows = session.execute(select(SigningKey.kid, SigningKey.state, SigningKey.retire_until)).all()
        now = utcnow()
        live = sorted((kid, state) for kid, state, until in rows
                      if state in PUBLISHED_STATES and (state != "retired" or until is None or until > now))
        return hashlib.sha256(json.dumps(live).encode()).hexdigest()[:16]

    def reload(self, force: bool = False) -> None:
        """Re-read keys when the table changed (checked every cache_seconds); decrypt once per process."""
        if not force and time.monotonic() - self._checked_at < self.cache_seconds:
            return
        with self._lock:
            if not force and time.monotonic() - self._checked_at < self.cache_seconds:
                return
            version = self._table_version()
            self._checked_at = time.monotonic()
            if version != self.version or force:
                self._load(version)
        self._maybe_rotate()

    def _load(self, version: str) -> None:
        now = utcnow()
        with self._db.session() as session:
            rows = session.scalars(
                select(SigningKey).where(SigningKey.state.in_(PUBLISHED_STATES)).order_by(SigningKey.created_at)
            ).all()
        current, promoted, verify, published = {}, {}, {}, []
        for row in rows:
            if row.state == "retired" and row.retire_until is not None and row.retire_until <= now:
                continue
            verify[row.kid] = (row.alg, load_key(row.public_jwk, row.alg))
            published.append(row.public_jwk)
            if row.state == "current":
                current[row.alg] = (row.kid, load_key(self._wrapper.unwrap(row.private_key_encrypted, row.kid), row.alg))
                promoted[row.alg] = row.promoted_at or row.created_at
        body = json.dumps({"keys": published}, separators=(",", ":"), sort_keys=True).encode()
        self._current, self._promoted_at, self._verify_keys = current, promoted, verify
        self._jwks_body, self._jwks_etag = body, hashlib.sha256(body).hexdigest()[:32]
        self._verified = {}
        self.version = version

    def _maybe_rotate(self) -> None:
        """Scheduled rotation, triggered by normal traffic: whichever replica notices first rotates once."""
        if self.rotation_interval <= 0:
            return
        deadline = utcnow() - dt.timedelta(seconds=self.rotation_interval)
        for alg, promoted in list(self._promoted_at.items()):
            if promoted < deadline:
                try:
                    self.rotate(alg, expected_current=self._current[alg][0])
                except Exception:  # rotation must never fail a request; the next check retries
                    log.exception("scheduled key rotation failed")

    def signing_algs(self) -> list[str]:
        self.reload()
        return [alg for alg in SUPPORTED_ALGS if alg in self._current]

    def signing_key(self, alg: str = "RS256") -> tuple[str, object]:
        self.reload()
        if alg not in self._current:
            raise RuntimeError(f"no current {alg} signing key; run `idp keys rotate --alg {alg}`")
        return self._current[alg]

    def sign(self, claims: dict, typ: str | None = None, alg: str = "RS256") -> str:
        kid, key = self.signing_key(alg)
        header = {"alg": alg, "kid": kid}
        if typ:
            header["typ"] = typ
        with span("jwt.sign", **{"idp.jwt.alg": alg}):
            return jwt.encode(header, claims, key, algorithms=[alg])

    VERIFIED_CACHE_SIZE = 4096

    def verify(self, token: str, typ: str | None = None) -> dict:
        """Verify signature and `typ`; time and audience checks are the caller's.

        A resource server introspects the same access token on every call it receives, so a
        successful verification is remembered for that exact string until the key set changes
        (`_load` empties the cache, so a revoked key stops verifying at once). The caller still
        checks expiry and revocation every time."""
        self.reload()
        verified = self._verified
        claims = verified.get((token, typ))
        if claims is not None:
            return dict(claims)
        claims = self._verify(token, typ)
        if len(verified) >= self.VERIFIED_CACHE_SIZE:
            verified.clear()
        verified[(token, typ)] = claims
        return dict(claims)

    def _verify(self, token: str, typ: str | None) -> dict:
        try:
            header = json_input.loads(b64url_decode(token.split(".", 1)[0]))
            alg, key = self._verify_keys.get(header.get("kid"), (None, None))
            if key is None or header.get("alg") != alg:
                raise InvalidJWT("unknown key")
            if typ and str(header.get("typ", "")).lower() not in (typ, "application/" + typ):
                raise InvalidJWT("wrong token type")
            return jwt.decode(token, key, algorithms=[alg]).claims
        except (ValueError, JoseError, IndexError, AttributeError, UnicodeDecodeError, TypeError) as exc:
            raise InvalidJWT(str(exc)) from None

    def jwks(self) -> tuple[bytes, str]:
        self.reload()
        return self._jwks_body, self._jwks_etag

    def list_keys(self) -> list[SigningKey]:
        with self._db.session() as session:
            return list(session.scalars(select(SigningKey).order_by(SigningKey.alg, SigningKey.created_at)).all())


def id_token_alg(keys, client) -> str:
    """The client's id_token_signed_response_alg when a key for it is live, else RS256."""
    wanted = client.client_metadata.get("id_token_signed_response_alg") or "RS256"
    return wanted if wanted in keys.signing_algs() else "RS256"
