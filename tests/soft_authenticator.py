"""A software WebAuthn authenticator for tests that post crafted responses (what a browser's
navigator.credentials would send: WebAuthn L3 5.1.8 JSON), so refusals that a real browser
never produces — another origin, a replayed answer, a counter that goes back — can be tested.
ES256 keys (cryptography), CBOR (cbor2), attestation format "none" (L3 8.7)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import json
import re
import secrets
import struct

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def page_ceremony(page_html: str, form_id: str) -> tuple[dict, dict]:
    """The options and hidden fields of the passkey form with this id on a page."""
    match = re.search(r'<form[^>]*data-options="([^"]*)"[^>]*id="' + re.escape(form_id) + r'"[^>]*>(.*?)</form>',
                      page_html, re.S)
    assert match, f"no passkey form {form_id} in page"
    options = json.loads(html.unescape(match.group(1)))
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', match.group(2)))
    return options, fields


@dataclasses.dataclass
class Credential:
    credential_id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0


class SoftAuthenticator:
    def __init__(self, origin: str, user_verified: bool = True, backup_eligible: bool = False, counter: bool = True):
        self.origin = origin
        self.user_verified = user_verified
        self.backup_eligible = backup_eligible
        self.counter = counter  # False: always 0, as synced passkeys do
        self.credentials: list[Credential] = []

    def _flags(self, extra: int = 0) -> int:
        flags = UP | extra
        if self.user_verified:
            flags |= UV
        if self.backup_eligible:
            flags |= BE | BS
        return flags

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin or self.origin,
                           "crossOrigin": False}).encode()

    def create(self, options: dict, origin: str | None = None) -> str:
        """navigator.credentials.create(): a new ES256 credential, attestation "none"."""
        key = ec.generate_private_key(ec.SECP256R1())
        numbers = key.public_key().public_numbers()
        cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
        credential = Credential(secrets.token_bytes(32), key, options["rp"]["id"], unb64url(options["user"]["id"]))
        auth_data = (hashlib.sha256(credential.rp_id.encode()).digest() + bytes([self._flags(AT)])
                     + struct.pack(">I", 0) + bytes(16) + struct.pack(">H", len(credential.credential_id))
                     + credential.credential_id + cose)
        self.credentials.append(credential)
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return json.dumps({
            "id": b64url(credential.credential_id), "rawId": b64url(credential.credential_id), "type": "public-key",
            "response": {"clientDataJSON": b64url(client_data),
                         "attestationObject": b64url(cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})),
                         "transports": ["internal"]},
            "clientExtensionResults": {}, "authenticatorAttachment": "platform"})

    def get(self, options: dict, origin: str | None = None, credential: Credential | None = None,
            sign_count: int | None = None) -> str:
        """navigator.credentials.get(): an assertion by the given (else the first allowed) credential."""
        allowed = [unb64url(c["id"]) for c in options.get("allowCredentials") or []]
        credential = credential or next(c for c in self.credentials if not allowed or c.credential_id in allowed)
        if sign_count is None:
            credential.sign_count += 1 if self.counter else 0
            sign_count = credential.sign_count
        auth_data = (hashlib.sha256(credential.rp_id.encode()).digest() + bytes([self._flags()])
                     + struct.pack(">I", sign_count))
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = credential.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return json.dumps({
            "id": b64url(credential.credential_id), "rawId": b64url(credential.credential_id), "type": "public-key",
            "response": {"clientDataJSON": b64url(client_data), "authenticatorData": b64url(auth_data),
                         "signature": b64url(signature), "userHandle": b64url(credential.user_handle)},
            "clientExtensionResults": {}, "authenticatorAttachment": "platform"})
