"""Hashing and random values: one place for every secret comparison."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from idp.observability.tracing import span

# argon2id with OWASP's Password Storage Cheat Sheet parameters (m=19 MiB, t=2, p=1):
# about a third of the library's RFC 9106 default memory, so one core serves more
# logins per second while an offline guess still costs 19 MiB of memory.
ARGON2_PARAMETERS = dict(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_hasher = PasswordHasher(**ARGON2_PARAMETERS)
# A valid hash to verify against when the account does not exist, so that a
# login for an unknown email costs the same time as one for a known email.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    with span("password.hash", **{"idp.password.scheme": "argon2id"}):
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    with span("password.verify", **{"idp.password.scheme": "argon2id"}):
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_scheme(stored: str | None) -> str | None:
    """The scheme a stored password hash uses, read from its prefix ("argon2id", "bcrypt",
    "pbkdf2-sha256", …, see idp/migration/schemes.py): what operators are shown, never the hash."""
    if not stored:
        return None
    tag = stored.split("$")[1] if stored.startswith("$") and stored.count("$") >= 2 else ""
    return "bcrypt" if tag in ("2a", "2b", "2y") else tag or "unknown"


def random_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def hash_client_secret(secret: str, salt: str) -> str:
    """Keyed SHA-256 of a client secret.

    Client secrets are random 256-bit values we generate, not human passwords:
    nobody can brute-force 2^256, so a slow hash (argon2) buys nothing and would
    cost ~50 ms on every token request. A per-client salt keyed HMAC keeps equal
    secrets from producing equal hashes.
    """
    return hmac.new(salt.encode(), secret.encode(), hashlib.sha256).hexdigest()


def check_client_secret(secret: str, salt: str | None, expected_hash: str | None) -> bool:
    if not salt or not expected_hash or not secret:
        return False
    return hmac.compare_digest(hash_client_secret(secret, salt), expected_hash)


def token_hash(value: str) -> str:
    """Storage key for a bearer value (code, refresh token): the store never holds the value itself."""
    return hashlib.sha256(value.encode()).hexdigest()
