"""Password hashes brought from another system, verified as they are.

A user imported from the service this IdP replaces (bcrypt, cost 12), from Keycloak (PBKDF2,
argon2), from Auth0 (bcrypt, PBKDF2, scrypt, salted digests) or from Firebase (its modified
scrypt) keeps the hash that system made. The stored form is always one self-describing string in
`users.password_hash`: the IdP's own argon2id PHC string, bcrypt's modular-crypt string, or a
PHC-style string for the others (below). A sign-in that verifies such a hash replaces it with the
IdP's own argon2id hash (idp/migration/signin.py), so the imported form lives only until each
user's next sign-in.

One small verifier per scheme, each over a maintained primitive (bcrypt, argon2-cffi, hashlib's
PBKDF2/scrypt, cryptography's AES for Firebase): the parsing of these strings is the only thing
written here, because no maintained library reads all of them (libpass reads passlib's own PBKDF2
and scrypt forms, which are not what Keycloak, Auth0 or Firebase export).

Stored forms (base64 fields are standard base64, padding optional):
    $argon2id$v=19$m=…,t=…,p=…$salt$hash                      argon2-cffi (argon2i too)
    $2a$12$… / $2b$12$… / $2y$12$…                              bcrypt
    $pbkdf2-sha256$i=27500,l=64$salt$hash                        PBKDF2-HMAC (sha1, sha256, sha512)
    $scrypt$ln=14,r=8,p=1$salt$hash                              scrypt
    $firebase-scrypt$ln=14,r=8$saltsep$signerkey$salt$hash       Firebase's modified scrypt
    $salted-sha256$pos=prefix$salt$digest                        weak: sha1, sha256, sha512, md5
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from idp.plumbing.security import password_scheme

WEAK_SCHEMES = {"salted-md5", "salted-sha1", "salted-sha256", "salted-sha512"}
_DIGESTS = {"sha1": "sha1", "sha256": "sha256", "sha512": "sha512", "md5": "md5"}


class UnsupportedHash(ValueError):
    """A stored or imported value that is no hash this module can verify (the reason says why)."""


def b64decode(text: str) -> bytes:
    """Standard or URL-safe base64, padded or not (exporters differ)."""
    text = text.strip().replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise UnsupportedHash("not base64") from None


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _params(text: str) -> dict[str, str]:
    try:
        return dict(part.split("=", 1) for part in text.split(",") if part)
    except ValueError:
        raise UnsupportedHash("malformed parameters") from None


def _int(params: dict, name: str, low: int, high: int) -> int:
    try:
        value = int(params[name])
    except (KeyError, ValueError):
        raise UnsupportedHash(f"parameter {name} missing or not a number") from None
    if not low <= value <= high:
        raise UnsupportedHash(f"parameter {name}={value} outside {low}..{high}")
    return value


class Bcrypt:
    scheme = "bcrypt"
    _FORM = re.compile(r"\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}")

    def parse(self, stored: str) -> str:
        match = self._FORM.fullmatch(stored)
        if not match or not 4 <= int(match.group(1)) <= 31:
            raise UnsupportedHash("not a bcrypt hash ($2a$, $2b$ or $2y$, cost 04-31)")
        return stored

    def verify(self, password: str, stored: str) -> bool:
        # bcrypt reads at most 72 bytes of the password, as every implementation that made these
        # hashes did; bcrypt>=5 raises on longer input instead of truncating, so truncate here.
        # $2y$ (PHP) is the same algorithm as $2b$.
        candidate = password.encode()[:72]
        return bcrypt.checkpw(candidate, ("$2b$" + stored[4:]).encode())


class Argon2:
    scheme = "argon2"
    _hasher = PasswordHasher()

    def parse(self, stored: str) -> str:
        if not re.fullmatch(r"\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+", stored):
            raise UnsupportedHash("not an argon2 PHC string")
        return stored

    def verify(self, password: str, stored: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


class Pbkdf2:
    scheme = "pbkdf2"

    def parse(self, stored: str) -> str:
        parts = stored.split("$")
        if len(parts) != 5 or not parts[1].startswith("pbkdf2-") or parts[1][7:] not in ("sha1", "sha256", "sha512"):
            raise UnsupportedHash("not a $pbkdf2-<sha1|sha256|sha512>$i=N$salt$hash string")
        _int(_params(parts[2]), "i", 1, 10_000_000)
        if not b64decode(parts[3]) or len(b64decode(parts[4])) < 16:
            raise UnsupportedHash("PBKDF2 salt empty or derived key shorter than 16 bytes")
        return stored

    def verify(self, password: str, stored: str) -> bool:
        _, name, params, salt, digest = stored.split("$")
        expected = b64decode(digest)
        derived = hashlib.pbkdf2_hmac(name[7:], password.encode(), b64decode(salt),
                                      _int(_params(params), "i", 1, 10_000_000), len(expected))
        return hmac.compare_digest(derived, expected)


def _scrypt(password: bytes, salt: bytes, ln: int, r: int, p: int, length: int) -> bytes:
    n = 1 << ln
    return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, dklen=length, maxmem=256 * n * r * p + (1 << 20))


class Scrypt:
    scheme = "scrypt"

    def parse(self, stored: str) -> str:
        parts = stored.split("$")
        if len(parts) != 5 or parts[1] != "scrypt":
            raise UnsupportedHash("not a $scrypt$ln=N,r=R,p=P$salt$hash string")
        params = _params(parts[2])
        _int(params, "ln", 1, 20), _int(params, "r", 1, 32), _int(params, "p", 1, 16)
        if len(b64decode(parts[4])) < 16:
            raise UnsupportedHash("scrypt derived key shorter than 16 bytes")
        b64decode(parts[3])
        return stored

    def verify(self, password: str, stored: str) -> bool:
        _, _, params, salt, digest = stored.split("$")
        p = _params(params)
        expected = b64decode(digest)
        derived = _scrypt(password.encode(), b64decode(salt), int(p["ln"]), int(p["r"]), int(p["p"]), len(expected))
        return hmac.compare_digest(derived, expected)


class FirebaseScrypt:
    """Firebase Authentication's modified scrypt (github.com/firebase/scrypt): the scrypt key of
    (password, salt + salt separator), N = 2^mem_cost, r = rounds, p = 1, 32 bytes, then the
    project's signer key encrypted with AES-256-CTR under that key (zero IV) is the stored hash."""

    scheme = "firebase-scrypt"

    def parse(self, stored: str) -> str:
        parts = stored.split("$")
        if len(parts) != 7 or parts[1] != "firebase-scrypt":
            raise UnsupportedHash("not a $firebase-scrypt$ln=N,r=R$saltsep$signerkey$salt$hash string")
        params = _params(parts[2])
        _int(params, "ln", 1, 20), _int(params, "r", 1, 32)
        for field in parts[3:]:
            b64decode(field)
        if len(b64decode(parts[4])) < 16 or len(b64decode(parts[6])) < 16:
            raise UnsupportedHash("Firebase signer key or hash shorter than 16 bytes")
        return stored

    def verify(self, password: str, stored: str) -> bool:
        _, _, params, separator, signer_key, salt, digest = stored.split("$")
        p = _params(params)
        key = _scrypt(password.encode(), b64decode(salt) + b64decode(separator), int(p["ln"]), int(p["r"]), 1, 32)
        encryptor = Cipher(algorithms.AES(key), modes.CTR(b"\x00" * 16)).encryptor()
        derived = encryptor.update(b64decode(signer_key)) + encryptor.finalize()
        expected = b64decode(digest)
        return hmac.compare_digest(derived[:len(expected)], expected)


class SaltedDigest:
    """One round of MD5/SHA over salt+password or password+salt: accepted only when the import
    says --allow-weak-hashes, and replaced at the user's next sign-in like every imported hash."""

    scheme = "salted-digest"

    def parse(self, stored: str) -> str:
        parts = stored.split("$")
        if len(parts) != 5 or parts[1] not in WEAK_SCHEMES:
            raise UnsupportedHash("not a $salted-<md5|sha1|sha256|sha512>$pos=prefix|suffix$salt$digest string")
        if _params(parts[2]).get("pos") not in ("prefix", "suffix"):
            raise UnsupportedHash("salted digest: pos must be prefix or suffix")
        b64decode(parts[3]), b64decode(parts[4])
        return stored

    def verify(self, password: str, stored: str) -> bool:
        _, name, params, salt, digest = stored.split("$")
        salt_bytes, secret = b64decode(salt), password.encode()
        data = salt_bytes + secret if _params(params)["pos"] == "prefix" else secret + salt_bytes
        return hmac.compare_digest(hashlib.new(_DIGESTS[name[7:]], data).digest(), b64decode(digest))


_VERIFIERS = {"2a": Bcrypt(), "2b": Bcrypt(), "2y": Bcrypt(), "argon2id": Argon2(), "argon2i": Argon2(),
              "argon2d": Argon2(), "pbkdf2-sha1": Pbkdf2(), "pbkdf2-sha256": Pbkdf2(), "pbkdf2-sha512": Pbkdf2(),
              "scrypt": Scrypt(), "firebase-scrypt": FirebaseScrypt(),
              **{name: SaltedDigest() for name in WEAK_SCHEMES}}


def scheme_of(stored: str | None) -> str | None:
    """The scheme a stored hash uses ("argon2id", "bcrypt", "pbkdf2-sha256", …): what the admin API
    and the CLI show, never the hash. None for a user without a password."""
    scheme = password_scheme(stored)
    return scheme if scheme in (None, "bcrypt") or scheme in _VERIFIERS else "unknown"


def check(stored: str, allow_weak: bool = False) -> str:
    """The stored form of an imported hash, or UnsupportedHash saying why it is refused."""
    tag = stored.split("$")[1] if stored.startswith("$") and stored.count("$") >= 2 else ""
    verifier = _VERIFIERS.get(tag)
    if verifier is None:
        raise UnsupportedHash(f"unknown hash scheme {tag[:32]!r}" if tag else "not a recognised hash string")
    if tag in WEAK_SCHEMES and not allow_weak:
        raise UnsupportedHash(f"{tag} is a weak hash: import it only with --allow-weak-hashes")
    return verifier.parse(stored)


def verify(password: str, stored: str) -> bool:
    """Whether `password` matches an imported hash (False for anything unparseable)."""
    tag = scheme_of(stored)
    verifier = _VERIFIERS.get("2b" if tag == "bcrypt" else tag or "")
    if verifier is None:
        return False
    try:
        return verifier.verify(password, stored)
    except (UnsupportedHash, ValueError, KeyError):
        return False
