"""What an imported signing key must be (the admin API's POST /keys/import, `idp keys import`):
a private key the IdP can sign with (RS256: RSA of 2048 to 8192 bits, e >= 65537; ES256: P-256;
EdDSA: Ed25519), given as a JWK or a PEM, whose public and private parts match. Read with joserfc
(cryptography underneath); every refusal is Invalid naming the field, never key material."""

from __future__ import annotations

import base64
import binascii
import warnings

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey, import_key

from idp.administration.errors import Invalid

KTY_ALGS = {"RSA": "RS256", "EC": "ES256", "OKP": "EdDSA"}
CURVES = {"EC": "P-256", "OKP": "Ed25519"}
PUBLIC_MEMBERS = {"RSA": ("n", "e"), "EC": ("crv", "x", "y"), "OKP": ("crv", "x")}
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
MIN_RSA_BITS, MAX_RSA_BITS = 2048, 8192
MAX_PEM, MAX_MEMBER = 16_384, 2_048  # characters: an 8192-bit key's PEM is about 6,400, its n 1,366
JWK_MEMBERS = {"kty", "kid", "use", "alg", "key_ops", *PUBLIC_MEMBERS["RSA"], *PUBLIC_MEMBERS["EC"],
               *PRIVATE_MEMBERS}
_UNREADABLE = (ValueError, TypeError, KeyError, AttributeError, IndexError, JoseError, binascii.Error)


def public_jwk(jwk: dict) -> dict:
    """A stored JWK without any private member, whatever it holds."""
    return {name: value for name, value in jwk.items() if name not in PRIVATE_MEMBERS}


def _read_jwk(jwk: dict):
    errors = {}
    kty = jwk.get("kty")
    if not isinstance(kty, str) or kty not in KTY_ALGS:
        raise Invalid({"jwk": "kty must be RSA, EC (P-256) or OKP (Ed25519)"})
    # Members it does not know (x5c, iat …) are ignored (RFC 7517 4): only the key itself is stored.
    if any(not isinstance(jwk[m], str) or len(jwk[m]) > MAX_MEMBER for m in jwk
           if m in JWK_MEMBERS and m not in ("key_ops", "oth")):
        errors["jwk"] = f"every member must be a string of at most {MAX_MEMBER} characters"
    elif "d" not in jwk:
        errors["jwk"] = "a public key: the private part (d) is required to sign"
    elif jwk.get("use", "sig") != "sig":
        errors["jwk"] = "use must be sig"
    elif kty in CURVES and jwk.get("crv") != CURVES[kty]:
        errors["jwk"] = f"crv must be {CURVES[kty]} (the curve of {KTY_ALGS[kty]})"
    if errors:
        raise Invalid(errors)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # joserfc's SecurityWarning for short RSA keys: refused below
            return import_key(jwk, kty)
    except _UNREADABLE:
        raise Invalid({"jwk": "not a valid key: its members do not form a key (or its parts do not match)"}) from None


def _read_pem(pem: str):
    if len(pem) > MAX_PEM or "-----BEGIN" not in pem:
        raise Invalid({"pem": f"a PEM-encoded private key (at most {MAX_PEM} characters)"})
    if "ENCRYPTED" in pem:
        raise Invalid({"pem": "an encrypted PEM: decrypt it first (the IdP encrypts it at rest itself)"})
    for kty in KTY_ALGS:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return import_key(pem, kty)
        except _UNREADABLE:
            continue
    raise Invalid({"pem": "not a PEM private key of type RSA, EC (P-256) or OKP (Ed25519)"})


def _canonical(key, field: str):
    """The key rebuilt from its private part alone, refusing a JWK whose public members say otherwise
    (joserfc keeps an Ed25519 JWK's x as given: published, it would verify nothing)."""
    if not key.is_private:
        raise Invalid({field: "a public key: the private part is required to sign"})
    try:
        rebuilt = import_key(key.as_pem(private=True), key.key_type)
    except _UNREADABLE:
        raise Invalid({field: "not a key the IdP can sign with"}) from None
    given, derived = key.as_dict(private=False), rebuilt.as_dict(private=False)
    if any(given.get(m) != derived.get(m) for m in PUBLIC_MEMBERS[key.key_type]):
        raise Invalid({field: "the public and private parts do not belong to one key"})
    return rebuilt


def _check_strength(key, field: str) -> str:
    alg = KTY_ALGS[key.key_type]
    public = key.as_dict(private=False)
    if isinstance(key, RSAKey):
        bits = int.from_bytes(base64.urlsafe_b64decode(public["n"] + "=" * (-len(public["n"]) % 4)), "big").bit_length()
        exponent = int.from_bytes(base64.urlsafe_b64decode(public["e"] + "=" * (-len(public["e"]) % 4)), "big")
        if not MIN_RSA_BITS <= bits <= MAX_RSA_BITS:
            raise Invalid({field: f"an RSA key of {bits} bits: {MIN_RSA_BITS} to {MAX_RSA_BITS} are accepted"})
        if exponent < 65537:
            raise Invalid({field: "an RSA public exponent below 65537"})
    elif isinstance(key, (ECKey, OKPKey)) and public.get("crv") != CURVES[key.key_type]:
        raise Invalid({field: f"the curve {public.get('crv')} does not sign here: {CURVES[key.key_type]} does"})
    return alg


def parse_private_key(jwk: dict | None = None, pem: str | None = None, alg: str | None = None) -> tuple[str, dict]:
    """(alg, the private JWK to store). Exactly one of jwk and pem; alg, when given, must be the
    key's, and so must the JWK's own alg and kid (the IdP names a key by its RFC 7638 thumbprint)."""
    if (jwk is None) == (pem is None):
        raise Invalid({"jwk": "give either jwk or pem", "pem": "give either jwk or pem"})
    field = "jwk" if jwk is not None else "pem"
    if alg is not None and alg not in KTY_ALGS.values():
        raise Invalid({"alg": "RS256, ES256 or EdDSA"})
    key = _canonical(_read_jwk(jwk) if jwk is not None else _read_pem(pem), field)
    key_alg = _check_strength(key, field)
    if alg is not None and alg != key_alg:
        raise Invalid({"alg": f"the key is a {key.key_type} key: it signs {key_alg}, not {alg}"})
    if jwk is not None and jwk.get("alg") not in (None, key_alg):
        raise Invalid({"jwk": f"its alg {jwk['alg']} is not {key_alg}, what a {key.key_type} key signs here"})
    if jwk is not None and jwk.get("kid") not in (None, key.thumbprint()):
        raise Invalid({"jwk": "its kid is not the key's RFC 7638 thumbprint (leave kid out: the IdP sets it)"})
    return key_alg, key.as_dict(private=True)
