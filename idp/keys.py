"""Signing keys: generation, encryption at rest, the published JWKS, signing and verifying.

Lifecycle (see shared/README): next (published, not signing) -> current (signs)
-> retired (published until what it signed has expired) -> removed.
Every process keeps the decrypted key objects in memory and re-reads the
table only when its cheap fingerprint changes, so signing never decrypts or
queries per request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
import time

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from sqlalchemy import select, text

from .store.db import Database
from .store.models import SigningKey, utcnow

PUBLISHED_STATES = ("next", "current", "retired")


class KeyDecryptionError(Exception):
    """KEY_ENCRYPTION_KEY does not open a stored key: refuse to start, with that message."""


class InvalidJWT(Exception):
    pass


class KeyWrapper:
    """AES-256-GCM under a key derived (HKDF-SHA256) from KEY_ENCRYPTION_KEY."""

    VERSION = b"\x01"

    def __init__(self, secret: str):
        if not secret:
            raise ValueError("KEY_ENCRYPTION_KEY is empty")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"idp-signing-keys", info=b"kek-v1").derive(
            secret.encode()
        )
        self._aead = AESGCM(key)

    def wrap(self, plaintext: bytes, kid: str) -> bytes:
        nonce = os.urandom(12)
        return self.VERSION + nonce + self._aead.encrypt(nonce, plaintext, kid.encode())

    def unwrap(self, blob: bytes, kid: str) -> bytes:
        if blob[:1] != self.VERSION:
            raise KeyDecryptionError(f"signing key {kid}: unknown encryption format")
        try:
            return self._aead.decrypt(blob[1:13], blob[13:], kid.encode())
        except InvalidTag:
            raise KeyDecryptionError(
                f"KEY_ENCRYPTION_KEY: does not decrypt signing key {kid} (wrong key-encryption key?)"
            ) from None


def generate_rsa_key(wrapper: KeyWrapper, bits: int = 2048, state: str = "current") -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    jwk = RSAKey.import_key(pem)
    kid = jwk.thumbprint()  # RFC 7638: stable, derived from the public key
    public = jwk.as_dict(private=False)
    public.update({"kid": kid, "use": "sig", "alg": "RS256"})
    return SigningKey(
        kid=kid,
        alg="RS256",
        state=state,
        public_jwk=public,
        private_key_encrypted=wrapper.wrap(pem, kid),
        created_at=utcnow(),
        promoted_at=utcnow() if state == "current" else None,
    )


class KeyManager:
    REFRESH_SECONDS = 5.0

    def __init__(self, db: Database, kek: str, jwks_max_age: int = 300):
        self._db = db
        self._wrapper = KeyWrapper(kek)
        self.jwks_max_age = jwks_max_age
        self._lock = threading.Lock()
        self._fingerprint: str | None = None
        self._checked_at = 0.0
        self._current: tuple[str, RSAKey] | None = None
        self._verify_keys: dict[str, RSAKey] = {}
        self._jwks_body = b""
        self._jwks_etag = ""

    # -- loading -----------------------------------------------------------
    def ensure_signing_key(self) -> None:
        """Create the first RS256 key if none signs yet; one replica does it (advisory lock)."""
        with self._db.session() as session:
            if not self._db.is_sqlite:
                session.execute(text("SELECT pg_advisory_xact_lock(727001)"))
            exists = session.scalar(select(SigningKey.kid).where(SigningKey.state == "current").limit(1))
            if not exists:
                session.add(generate_rsa_key(self._wrapper))
        self.reload(force=True)

    def _table_fingerprint(self) -> str:
        with self._db.session() as session:
            rows = session.execute(
                select(SigningKey.kid, SigningKey.state).where(SigningKey.state.in_(PUBLISHED_STATES))
            ).all()
        return hashlib.sha256(json.dumps(sorted(map(tuple, rows))).encode()).hexdigest()

    def reload(self, force: bool = False) -> None:
        """Re-read keys when the table changed; decrypt each private key once per process."""
        now = time.monotonic()
        if not force and now - self._checked_at < self.REFRESH_SECONDS:
            return
        with self._lock:
            if not force and now - self._checked_at < self.REFRESH_SECONDS:
                return
            fingerprint = self._table_fingerprint()
            self._checked_at = time.monotonic()
            if fingerprint == self._fingerprint and not force:
                return
            with self._db.session() as session:
                rows = session.scalars(
                    select(SigningKey).where(SigningKey.state.in_(PUBLISHED_STATES)).order_by(SigningKey.created_at)
                ).all()
            current = None
            verify: dict[str, RSAKey] = {}
            published = []
            for row in rows:
                verify[row.kid] = RSAKey.import_key(row.public_jwk)
                published.append(row.public_jwk)
                if row.state == "current":
                    pem = self._wrapper.unwrap(row.private_key_encrypted, row.kid)
                    current = (row.kid, RSAKey.import_key(pem))
            body = json.dumps({"keys": published}, separators=(",", ":"), sort_keys=True).encode()
            self._current = current
            self._verify_keys = verify
            self._jwks_body = body
            self._jwks_etag = hashlib.sha256(body).hexdigest()[:32]
            self._fingerprint = fingerprint

    # -- use ---------------------------------------------------------------
    def signing_key(self) -> tuple[str, RSAKey]:
        self.reload()
        if self._current is None:
            raise RuntimeError("no current signing key; run `idp keys rotate` or restart")
        return self._current

    def sign(self, claims: dict, typ: str | None = None) -> str:
        kid, key = self.signing_key()
        header = {"alg": "RS256", "kid": kid}
        if typ:
            header["typ"] = typ
        return jwt.encode(header, claims, key, algorithms=["RS256"])

    def verify(self, token: str, typ: str | None = None) -> dict:
        """Verify signature and `typ`; time and audience checks are the caller's."""
        self.reload()
        try:
            header = json.loads(_b64decode(token.split(".", 1)[0]))
            key = self._verify_keys.get(header.get("kid"))
            if key is None or header.get("alg") != "RS256":
                raise InvalidJWT("unknown key")
            if typ and str(header.get("typ", "")).lower() not in (typ, "application/" + typ):
                raise InvalidJWT("wrong token type")
            return jwt.decode(token, key, algorithms=["RS256"]).claims
        except (ValueError, JoseError, IndexError, AttributeError, UnicodeDecodeError) as exc:
            raise InvalidJWT(str(exc)) from None

    def jwks(self) -> tuple[bytes, str]:
        self.reload()
        return self._jwks_body, self._jwks_etag

    def list_keys(self) -> list[SigningKey]:
        with self._db.session() as session:
            return list(session.scalars(select(SigningKey).order_by(SigningKey.created_at)).all())


def _b64decode(segment: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def retire_deadline(longest_token_ttl: int, jwks_max_age: int, skew: int = 60) -> dt.datetime:
    return utcnow() + dt.timedelta(seconds=longest_token_ttl + jwks_max_age + skew)
