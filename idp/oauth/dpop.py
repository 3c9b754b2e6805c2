"""DPoP proofs (RFC 9449). Written by hand: authlib has no DPoP support.

A proof is checked as RFC 9449 4.3 lists it:
1. exactly one DPoP header, a compact JWS, typ `dpop+jwt`, an asymmetric alg we support,
   a public `jwk` in the header, and a signature that key verifies;
2. `jti` present, `htm` the request's method, `htu` the request's URL as relying parties
   see it (the issuer and the path; no query or fragment);
3. `iat` within DPOP_IAT_WINDOW seconds in the past (and a little clock skew ahead);
4. `ath`, when an access token is presented, the base64url SHA-256 of that token;
5. `nonce`, when DPOP_REQUIRE_NONCE is on: one of ours (RFC 9449 8, 9), else use_dpop_nonce
   with a fresh DPoP-Nonce; nonces are HMACs of a 5-minute time slot (stateless, shared by replicas);
6. the `jti` is remembered (SET NX) for the whole window: a replayed proof is refused.
The result is the key's RFC 7638 thumbprint, `jkt`, which tokens carry as `cnf.jkt`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import urlsplit

from authlib.oauth2.base import OAuth2Error
from authlib.oauth2.rfc6750 import InvalidTokenError
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import import_key
from joserfc.jws import JWSRegistry

DPOP_ALGS = ["ES256", "RS256", "PS256", "EdDSA"]
MAX_PROOF_LENGTH = 8192
CLOCK_SKEW = 5
NONCE_SLOT = 300


class _ProofRegistry(JWSRegistry):
    max_header_length = 2048  # the header carries the public key: an RSA jwk outgrows joserfc's 512


PROOF_REGISTRY = _ProofRegistry(algorithms=DPOP_ALGS)


class InvalidDPoPProofError(OAuth2Error):
    error = "invalid_dpop_proof"
    status_code = 400


class UseDPoPNonceError(OAuth2Error):
    """RFC 9449 8: the client retries with the nonce in the DPoP-Nonce header."""

    error = "use_dpop_nonce"
    status_code = 400

    def __init__(self, nonce: str, **kwargs):
        super().__init__(description="A DPoP nonce is required; use the one in DPoP-Nonce.", **kwargs)
        self.nonce = nonce

    def get_headers(self):
        return super().get_headers() + [("DPoP-Nonce", self.nonce)]


class DPoPResourceError(InvalidTokenError):
    """Errors at a resource (userinfo): 401 with `WWW-Authenticate: DPoP ...` (RFC 9449 7.1)."""

    def __init__(self, error: str, description: str, nonce: str | None = None):
        super().__init__(description=description)
        self.error = error
        self.nonce = nonce

    def get_headers(self):
        headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store"), ("Pragma", "no-cache")]
        headers.append(("WWW-Authenticate", f'DPoP error="{self.error}", error_description="{self.description}", '
                                            f'algs="{" ".join(DPOP_ALGS)}"'))
        if self.nonce:
            headers.append(("DPoP-Nonce", self.nonce))
        return headers


def b64url_sha256(value: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(value.encode()).digest()).rstrip(b"=").decode()


def normalize_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{(parts.netloc or '').lower()}{parts.path or '/'}"


class DPoPVerifier:
    def __init__(self, store, secret: str, window: int = 60, require_nonce: bool = False):
        self.store = store
        self._nonce_key = hashlib.sha256(b"idp-dpop-nonce\0" + secret.encode()).digest()
        self.window = window
        self.require_nonce = require_nonce

    # -- server nonces (RFC 9449 8) ----------------------------------------
    def _nonce_for(self, slot: int) -> str:
        digest = hmac.new(self._nonce_key, str(slot).encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()

    def current_nonce(self) -> str:
        return self._nonce_for(int(time.time()) // NONCE_SLOT)

    def _nonce_ok(self, nonce) -> bool:
        slot = int(time.time()) // NONCE_SLOT
        return isinstance(nonce, str) and any(hmac.compare_digest(nonce, self._nonce_for(s)) for s in (slot, slot - 1))

    # -- proofs ----------------------------------------------------------------
    def verify(self, values: list[str], method: str, url: str, access_token: str | None = None) -> str:
        """The proof's jkt; InvalidDPoPProofError or UseDPoPNonceError."""
        # 1. One compact JWS with a public key in its header.
        if len(values) != 1 or not values[0] or len(values[0]) > MAX_PROOF_LENGTH:
            raise InvalidDPoPProofError("Send exactly one DPoP proof.")
        proof = values[0]
        try:
            header = jws.extract_compact(proof.encode(), registry=PROOF_REGISTRY).headers()
        except (JoseError, ValueError, UnicodeError):
            raise InvalidDPoPProofError("The DPoP proof is not a JWS.") from None
        if header.get("typ") != "dpop+jwt":
            raise InvalidDPoPProofError("The DPoP proof's typ must be dpop+jwt.")
        if header.get("alg") not in DPOP_ALGS:
            raise InvalidDPoPProofError("Unsupported DPoP proof algorithm.")
        jwk = header.get("jwk")
        if not isinstance(jwk, dict) or jwk.get("kty") not in ("RSA", "EC", "OKP") or "d" in jwk:
            raise InvalidDPoPProofError("The DPoP proof needs a public jwk in its header.")
        try:
            key = import_key(jwk)
            claims = jwt.decode(proof, key, algorithms=[header["alg"]], registry=PROOF_REGISTRY).claims
        except (JoseError, ValueError, TypeError, KeyError):
            raise InvalidDPoPProofError("The DPoP proof's signature does not verify.") from None
        # 2. What request it is for.
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti or len(jti) > 256:
            raise InvalidDPoPProofError("The DPoP proof needs a jti.")
        if claims.get("htm") != method:
            raise InvalidDPoPProofError("The DPoP proof's htm does not match the request method.")
        htu = claims.get("htu")
        if not isinstance(htu, str) or normalize_url(htu) != normalize_url(url):
            raise InvalidDPoPProofError("The DPoP proof's htu does not match the request URL.")
        # 3. When.
        iat = claims.get("iat")
        now = time.time()
        if not isinstance(iat, (int, float)) or not now - self.window <= iat <= now + CLOCK_SKEW:
            raise InvalidDPoPProofError("The DPoP proof's iat is too old or in the future.")
        # 4. Which access token.
        if access_token is not None and not (
                isinstance(claims.get("ath"), str) and hmac.compare_digest(claims["ath"], b64url_sha256(access_token))):
            raise InvalidDPoPProofError("The DPoP proof's ath does not match the access token.")
        # 5. Our nonce.
        if self.require_nonce and not self._nonce_ok(claims.get("nonce")):
            raise UseDPoPNonceError(self.current_nonce())
        # 6. Once.
        jkt = key.thumbprint()
        replay_key = "dpop-jti:" + hashlib.sha256(f"{jkt}\0{jti}".encode()).hexdigest()
        if not self.store.add(replay_key, "1", self.window + CLOCK_SKEW + 1):
            raise InvalidDPoPProofError("The DPoP proof was already used.")
        return jkt
