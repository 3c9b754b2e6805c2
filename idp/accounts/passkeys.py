"""Passkeys (WebAuthn Level 3): the ceremonies, on top of py_webauthn.

Why py_webauthn (PyPI `webauthn`, Duo Labs): it is maintained and performs every check of the
registration (L3 7.1) and authentication (L3 7.2) ceremonies — client data type, challenge,
origin, RP ID hash, flags, attestation formats and chains, COSE keys and signatures — which
must not be written by hand. This module adds what the library leaves to the relying party:

* the RP ID is the issuer's host; the allowed origins are exactly the issuer's origin plus
  WEBAUTHN_ORIGINS. Browsers refuse an IP address as RP ID, so passkeys are off then;
* a ceremony (its challenge, purpose and user) travels with the page, signed with SESSION_SECRET
  (itsdangerous), valid WEBAUTHN_CEREMONY_TTL seconds: a page offering a passkey, such as every
  anonymous GET /login, stores nothing (issue 30). Any replica can finish a ceremony another
  started; the first response spends its challenge with an atomic SET NX in the shared ephemeral
  store, so each is single use;
* attestation `none` by default; `direct` with WEBAUTHN_ALLOWED_AAGUIDS admits only those
  authenticator models;
* sign-in without a password requires user verification (the passkey is then two factors:
  the device and the PIN or biometric that unlocks it); as a second factor after a password
  it is preferred only (the password already is the knowledge factor).

What a sign-in with a passkey proves goes into the ID token as amr (RFC 8176): `hwk` for a
device-bound key, `swk` for a synced (backup eligible) one, `user` when the authenticator
verified the user, `mfa` when it followed a password; and acr ACR_PHISHING_RESISTANT.
"""

from __future__ import annotations

import base64
import dataclasses
import ipaddress
import json
from urllib.parse import urlparse

import webauthn
from itsdangerous import BadSignature, URLSafeTimedSerializer
from webauthn.helpers import exceptions as webauthn_errors
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AttestationFormat,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from idp.config import Config
from idp.plumbing import json_input
from idp.plumbing.security import token_hash
from idp.store.ephemeral import EphemeralStore
from idp.store.errors import Conflict
from idp.store.passkeys import CounterRegressed, Passkeys, StoredPasskey

# Purposes of a ceremony: a challenge made for one is refused by the others.
REGISTER = "register"
SIGN_IN = "sign-in"  # discoverable credential, no email or password first
SECOND_FACTOR = "second-factor"
STEP_UP = "step-up"  # a signed-in user proves a passkey for a relying party that asked for it
NAME_MAX = 64
MAX_CEREMONY_ID = 1024  # a signed ceremony is about 200 characters; longer is not ours


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PasskeyRefused(Exception):
    """A ceremony that did not succeed. reason is a short code for the audit trail and the page's
    message: cancelled, expired (unknown, used or stale challenge), wrong_origin, unknown_credential,
    invalid (the library's checks), counter (possible clone), model (not an allowed AAGUID),
    duplicate (already registered)."""

    def __init__(self, reason: str, user_id: str | None = None, detail: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.user_id = user_id
        self.detail = detail[:200]


@dataclasses.dataclass(frozen=True)
class Ceremony:
    """What a page embeds: an id to send back with the response, and options for navigator.credentials."""

    id: str
    options: str  # JSON, base64url for binary members (WebAuthn L3 JSON serialisation)


@dataclasses.dataclass(frozen=True)
class Assertion:
    user_id: str
    passkey: StoredPasskey
    user_verified: bool


def rp_id_for(issuer: str) -> str | None:
    """The issuer's host, or None when it is an IP address (not a valid RP ID: L3 5.1.4, 13.4.9)."""
    host = urlparse(issuer).hostname or ""
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        return host or None


def amr_for(passkey: StoredPasskey, user_verified: bool, second_factor: bool) -> list[str]:
    """RFC 8176 methods: synced passkeys are software keys, device-bound ones hardware keys."""
    amr = (["pwd"] if second_factor else []) + ["swk" if passkey.backup_eligible else "hwk"]
    if user_verified:
        amr.append("user")
    if second_factor:
        amr.append("mfa")
    return amr


class PasskeyService:
    def __init__(self, config: Config, credentials: Passkeys, store: EphemeralStore):
        self.credentials = credentials
        self.store = store
        self.rp_id = rp_id_for(config.issuer)
        parsed = urlparse(config.issuer)
        self.origins = [f"{parsed.scheme}://{parsed.netloc}", *config.webauthn_origins]
        self.rp_name = config.brand_name
        self.ttl = config.webauthn_ceremony_ttl
        self.ceremonies = URLSafeTimedSerializer(config.session_secret, salt="idp-passkey-ceremony")
        self.attestation = config.webauthn_attestation
        self.allowed_aaguids = set(config.webauthn_allowed_aaguids)

    @property
    def enabled(self) -> bool:
        return self.rp_id is not None

    # -- ceremonies ---------------------------------------------------------------
    def _remember(self, challenge: bytes, purpose: str, user_id: str | None) -> str:
        """The ceremony's id: itself, signed and timestamped (nothing stored until a response comes)."""
        return self.ceremonies.dumps({"challenge": b64url(challenge), "purpose": purpose, "user": user_id})

    def _take(self, ceremony_id: str, purpose: str, user_id: str | None) -> bytes:
        """The ceremony's challenge, once: a replay, a stale page or another purpose is `expired`."""
        try:
            data = self.ceremonies.loads((ceremony_id or "")[:MAX_CEREMONY_ID], max_age=self.ttl)
        except BadSignature:  # forged, altered or older than WEBAUTHN_CEREMONY_TTL (SignatureExpired)
            data = None
        if not isinstance(data, dict) or data.get("purpose") != purpose or (
                user_id is not None and data.get("user") != user_id):
            raise PasskeyRefused("expired", user_id)
        # Spent by the first response, until the ceremony would have expired anyway: single use.
        if not self.store.add("passkey:spent:" + token_hash(data["challenge"]), "1", self.ttl + 1):
            raise PasskeyRefused("expired", user_id)
        return from_b64url(data["challenge"])

    def _check_origin(self, response: dict, user_id: str | None) -> None:
        """Said apart from the library's other checks so the audit trail names it (L3 7.1 step 9)."""
        try:
            client_data = json_input.loads(from_b64url(response["response"]["clientDataJSON"]))
            origin = client_data["origin"]
        except (KeyError, TypeError, ValueError):
            raise PasskeyRefused("invalid", user_id, "client data is not readable") from None
        if origin not in self.origins:
            raise PasskeyRefused("wrong_origin", user_id, f"origin {origin!r}")

    def begin_registration(self, user) -> Ceremony:
        existing = self.credentials.for_user(user.id)
        options = webauthn.generate_registration_options(
            rp_id=self.rp_id, rp_name=self.rp_name, user_id=self.credentials.user_handle(user.id),
            user_name=user.email, user_display_name=user.name or user.email, timeout=self.ttl * 1000,
            attestation=AttestationConveyancePreference(self.attestation),
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED),
            exclude_credentials=[_descriptor(p) for p in existing])
        return Ceremony(self._remember(options.challenge, REGISTER, user.id), webauthn.options_to_json(options))

    def finish_registration(self, user, ceremony_id: str, response_json: str, name: str) -> StoredPasskey:
        challenge = self._take(ceremony_id, REGISTER, user.id)
        response = parse_response(response_json, user.id)
        self._check_origin(response, user.id)
        try:
            verified = webauthn.verify_registration_response(
                credential=response, expected_challenge=challenge, expected_rp_id=self.rp_id,
                expected_origin=self.origins, require_user_verification=True)
        except webauthn_errors.WebAuthnException as exc:
            raise PasskeyRefused("invalid", user.id, str(exc)) from None
        if self.attestation == "direct" and (verified.fmt == AttestationFormat.NONE
                                             or verified.aaguid.lower() not in self.allowed_aaguids):
            raise PasskeyRefused("model", user.id, f"aaguid {verified.aaguid}")
        transports = [t for t in response.get("response", {}).get("transports", []) or []
                      if t in {member.value for member in AuthenticatorTransport}]
        try:
            return self.credentials.add(
                user.id, verified.credential_id, verified.credential_public_key, verified.sign_count, transports,
                backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
                backed_up=verified.credential_backed_up, aaguid=verified.aaguid,
                name=(name or "").strip()[:NAME_MAX] or "Passkey")
        except Conflict:
            raise PasskeyRefused("duplicate", user.id) from None

    def begin_authentication(self, purpose: str, user_id: str | None = None) -> Ceremony:
        """SIGN_IN: any discoverable credential, user verification required. Otherwise the user's own
        credentials, user verification preferred (SECOND_FACTOR) or required (STEP_UP, which stands alone)."""
        allow = [_descriptor(p) for p in self.credentials.for_user(user_id)] if user_id else []
        uv = UserVerificationRequirement.PREFERRED if purpose == SECOND_FACTOR else UserVerificationRequirement.REQUIRED
        options = webauthn.generate_authentication_options(rp_id=self.rp_id, timeout=self.ttl * 1000,
                                                           allow_credentials=allow, user_verification=uv)
        return Ceremony(self._remember(options.challenge, purpose, user_id), webauthn.options_to_json(options))

    def finish_authentication(self, purpose: str, ceremony_id: str, response_json: str,
                              user_id: str | None = None) -> Assertion:
        challenge = self._take(ceremony_id, purpose, user_id)
        response = parse_response(response_json, user_id)
        self._check_origin(response, user_id)
        try:
            passkey = self.credentials.by_credential_id(from_b64url(str(response.get("rawId") or response["id"])))
        except (KeyError, ValueError):
            raise PasskeyRefused("invalid", user_id, "no credential id") from None
        if passkey is None or (user_id is not None and passkey.user_id != user_id):
            raise PasskeyRefused("unknown_credential", user_id)
        handle = (response.get("response") or {}).get("userHandle")
        if purpose == SIGN_IN and (not handle or self.credentials.user_for_handle(_bytes(handle)) != passkey.user_id):
            # A discoverable credential names its account by user handle: it must be this credential's.
            raise PasskeyRefused("unknown_credential", passkey.user_id, "user handle does not match")
        try:
            verified = webauthn.verify_authentication_response(
                credential=response, expected_challenge=challenge, expected_rp_id=self.rp_id,
                expected_origin=self.origins, credential_public_key=passkey.public_key,
                credential_current_sign_count=passkey.sign_count,
                require_user_verification=purpose != SECOND_FACTOR)
        except webauthn_errors.WebAuthnException as exc:
            reason = "counter" if "sign count" in str(exc).lower() else "invalid"
            raise PasskeyRefused(reason, passkey.user_id, str(exc)) from None
        try:
            self.credentials.record_use(
                passkey, verified.new_sign_count,
                backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
                backed_up=verified.credential_backed_up)
        except (CounterRegressed, ValueError) as exc:
            raise PasskeyRefused("counter", passkey.user_id, type(exc).__name__) from None
        return Assertion(passkey.user_id, passkey, verified.user_verified)

    # -- management -----------------------------------------------------------------
    def for_user(self, user_id: str) -> list[StoredPasskey]:
        return self.credentials.for_user(user_id)

    def has_any(self, user_id: str) -> bool:
        return self.enabled and self.credentials.count(user_id) > 0

    def remove(self, user_id: str, passkey_id: str) -> bool:
        return self.credentials.remove(user_id, passkey_id)

    def remove_all(self, user_id: str) -> int:
        return self.credentials.remove_all(user_id)


def _descriptor(passkey: StoredPasskey) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(id=passkey.credential_id,
                                         transports=[AuthenticatorTransport(t) for t in passkey.transports])


def _bytes(value: str) -> bytes:
    try:
        return from_b64url(value)
    except ValueError:
        return b""


def parse_response(response_json: str, user_id: str | None) -> dict:
    """The browser's PublicKeyCredential as JSON (L3 5.1.8 toJSON): an object, or `invalid`."""
    try:
        response = json_input.loads(response_json or "")
    except ValueError:
        raise PasskeyRefused("invalid", user_id, "not JSON") from None
    if not isinstance(response, dict) or not isinstance(response.get("response"), dict):
        raise PasskeyRefused("invalid", user_id, "not a credential")
    return response
