"""Signing-key material: generating, importing and recognising keys, and the table row that
holds one (public JWK in clear, private PEM encrypted)."""

from __future__ import annotations

import base64

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey, import_key

from idp.plumbing.encryption import KeyWrapper
from idp.store.models import SigningKey, utcnow


def generate_private_key(alg: str, rsa_bits: int = 2048):
    if alg == "RS256":
        return RSAKey.generate_key(rsa_bits, private=True)
    if alg == "ES256":
        return ECKey.generate_key("P-256", private=True)
    if alg == "EdDSA":
        return OKPKey.generate_key("Ed25519", private=True)
    raise ValueError(f"unsupported signing algorithm {alg}")


KEY_TYPES = {"RS256": "RSA", "ES256": "EC", "EdDSA": "OKP"}


def load_key(data, alg: str):
    return import_key(data, KEY_TYPES[alg])


def alg_of(key) -> str:
    if isinstance(key, RSAKey):
        return "RS256"
    if isinstance(key, ECKey) and key.as_dict(private=False).get("crv") == "P-256":
        return "ES256"
    if isinstance(key, OKPKey) and key.as_dict(private=False).get("crv") == "Ed25519":
        return "EdDSA"
    raise ValueError("only RSA, P-256 and Ed25519 keys can sign here")


def key_row(wrapper: KeyWrapper, private_key, state: str) -> SigningKey:
    """A table row for a private key: public JWK in clear, private PEM encrypted."""
    alg = alg_of(private_key)
    kid = private_key.thumbprint()  # RFC 7638: stable, derived from the public key
    public = private_key.as_dict(private=False)
    public.update({"kid": kid, "use": "sig", "alg": alg})
    now = utcnow()
    return SigningKey(
        kid=kid, alg=alg, state=state, public_jwk=public,
        private_key_encrypted=wrapper.wrap(private_key.as_pem(private=True), kid),
        created_at=now, promoted_at=now if state == "current" else None,
    )


def try_pem(data, key_type: str):
    try:
        return import_key(data, key_type)
    except (ValueError, TypeError, JoseError):
        return None


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
