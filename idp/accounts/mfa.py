"""Second factor: TOTP (RFC 6238, via pyotp) and single-use recovery codes.

The TOTP secret is encrypted at rest under KEY_ENCRYPTION_KEY (the server must read it
back); a code's time step is recorded so the same code cannot be replayed (ASVS 2.8.4).
Recovery codes are random and stored only as salted SHA-256 (ASVS 2.6.2): checking one
must not cost ten argon2 hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets
import time

import pyotp
import qrcode
import qrcode.image.svg

from idp.plumbing import json_input
from idp.plumbing.encryption import KeyWrapper
from idp.store.account_repos import RecoveryCodes, TotpCredentials

# Authentication Context Class References this OP issues (OIDC Core 2, acr) and accepts in acr_values.
ACR_PASSWORD = "urn:idp:acr:password"
ACR_MFA = "urn:idp:acr:mfa"
# A passkey (WebAuthn) took part: origin-bound, so a phishing site cannot relay it (docs/passkeys.md).
ACR_PHISHING_RESISTANT = "urn:idp:acr:phr"
ACR_VALUES_SUPPORTED = [ACR_PASSWORD, ACR_MFA, ACR_PHISHING_RESISTANT]
ACR_STRENGTH = {ACR_PASSWORD: 0, ACR_MFA: 1, ACR_PHISHING_RESISTANT: 2}
AMR_PASSWORD = ["pwd"]
AMR_MFA = ["pwd", "otp"]  # RFC 8176: a TOTP and a recovery code are both one-time passwords



def acr_values_supported(issuer: str) -> list[str]:
    """What discovery advertises: the phishing-resistant class only where passkeys can work."""
    from idp.accounts.passkeys import rp_id_for

    return ACR_VALUES_SUPPORTED if rp_id_for(issuer) else [ACR_PASSWORD, ACR_MFA]


def acr_for(amr: list[str]) -> str:
    """The class a sign-in's methods (RFC 8176) reach."""
    if "hwk" in amr or "swk" in amr:
        return ACR_PHISHING_RESISTANT
    return ACR_MFA if amr == AMR_MFA else ACR_PASSWORD


RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper
STEP_SECONDS = 30


def _normalize(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def recovery_hash(salt: str, code: str) -> str:
    return hashlib.sha256((salt + ":" + _normalize(code)).encode()).hexdigest()


class Mfa:
    def __init__(self, totp: TotpCredentials, recovery: RecoveryCodes, key_encryption_key: str, issuer_name: str):
        self.totp = totp
        self.recovery = recovery
        self.wrapper = KeyWrapper(key_encryption_key)
        self.issuer_name = issuer_name

    # -- enrolment ------------------------------------------------------------
    @staticmethod
    def new_secret() -> str:
        return pyotp.random_base32()  # 160 bits (RFC 4226 recommends at least 128)

    def provisioning_uri(self, secret: str, account: str) -> str:
        return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=self.issuer_name)

    def qr_data_uri(self, secret: str, account: str) -> str:
        """An SVG QR code as a data: URI (the CSP allows img-src data:; no Pillow needed)."""
        image = qrcode.make(self.provisioning_uri(secret, account), image_factory=qrcode.image.svg.SvgPathImage,
                            box_size=10, border=2)
        buffer = io.BytesIO()
        image.save(buffer)
        return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()

    def enrol(self, user_id: str, secret: str, code: str) -> list[str] | None:
        """Confirm a new secret with a code from the app; returns fresh recovery codes, or None."""
        step = matching_step(secret, code)
        if step is None:
            return None
        self.totp.save(user_id, self.wrapper.wrap(secret.encode(), "totp:" + user_id), step)
        return self.new_recovery_codes(user_id)

    def new_recovery_codes(self, user_id: str) -> list[str]:
        codes = ["-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(4)) for _ in range(3))
                 for _ in range(RECOVERY_CODE_COUNT)]
        salted = [(salt, recovery_hash(salt, code)) for salt, code in ((secrets.token_hex(8), c) for c in codes)]
        self.recovery.replace(user_id, salted)
        return codes

    def disable(self, user_id: str) -> None:
        self.totp.remove(user_id)

    # -- at sign-in -----------------------------------------------------------
    def is_enrolled(self, user_id: str) -> bool:
        return self.totp.get(user_id) is not None

    def remaining_recovery_codes(self, user_id: str) -> int:
        return len(self.recovery.unused(user_id))

    def verify(self, user_id: str, code: str) -> str | None:
        """'totp' or 'recovery' when the code is good (and now used), else None."""
        credential = self.totp.get(user_id)
        if credential is None:
            return None
        normalized = _normalize(code)
        if normalized.isdigit() and len(normalized) == 6:
            secret = self.wrapper.unwrap(credential.secret_encrypted, "totp:" + user_id).decode()
            step = matching_step(secret, normalized)
            return "totp" if step is not None and self.totp.advance(user_id, step) else None
        for row in self.recovery.unused(user_id):
            if hmac.compare_digest(row.code_hash, recovery_hash(row.salt, normalized)):
                return "recovery" if self.recovery.use(row.id) else None
        return None


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code matches, allowing one step of clock drift each way (RFC 6238 5.2)."""
    code = _normalize(code)
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int((now or time.time()) // STEP_SECONDS)
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def required_acr(params: dict) -> str | None:
    """The class an authorization request requires (OIDC Core 3.1.2.1 acr_values, 5.5.1.1 an
    essential acr claim), or None. Both list the acceptable classes, so the weakest one listed is
    the requirement: a list that accepts a password alone requires nothing (the conformance
    suite's acr_values module sends every advertised value, and that request must succeed);
    ACR_MFA is met by a phishing-resistant sign-in too. Of the two sources the stronger wins."""

    def of(values: list) -> str | None:
        if ACR_PASSWORD in values:
            return None
        if ACR_MFA in values:
            return ACR_MFA
        return ACR_PHISHING_RESISTANT if ACR_PHISHING_RESISTANT in values else None

    found = [of((params.get("acr_values") or "").split())]
    try:
        wanted = (json_input.loads(params.get("claims") or "{}").get("id_token") or {}).get("acr") or {}
        if wanted.get("essential"):
            found.append(of(wanted.get("values") or [wanted.get("value")]))
    except (ValueError, AttributeError):
        pass  # a malformed claims parameter is refused by the authorization endpoint
    found = [acr for acr in found if acr]
    return max(found, key=ACR_STRENGTH.get) if found else None


def meets(acr: str | None, required: str | None) -> bool:
    return required is None or ACR_STRENGTH.get(acr or "", -1) >= ACR_STRENGTH[required]
