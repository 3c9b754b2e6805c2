"""Encryption at rest of what the server must read back (signing keys, TOTP secrets, client
secrets for client_secret_jwt): one key-encryption key, one wrapper."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class KeyDecryptionError(Exception):
    """KEY_ENCRYPTION_KEY does not open a stored key: refuse to start, with that message."""


class KeyWrapper:
    """AES-256-GCM under a key derived (HKDF-SHA256) from KEY_ENCRYPTION_KEY; the kid is bound as AAD."""

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
        blob = bytes(blob)
        if blob[:1] != self.VERSION:
            raise KeyDecryptionError(f"signing key {kid}: unknown encryption format")
        try:
            return self._aead.decrypt(blob[1:13], blob[13:], kid.encode())
        except InvalidTag:
            raise KeyDecryptionError(
                f"KEY_ENCRYPTION_KEY: does not decrypt signing key {kid} (wrong key-encryption key?)"
            ) from None
