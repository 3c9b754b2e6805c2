"""Any OpenID Connect provider by discovery: authorization code + PKCE + nonce, and the ID
token validated here (signature against the provider's JWKS, iss, aud, azp, nonce, exp, iat)."""

from __future__ import annotations

import threading
import time

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from idp.federation.base import Connector, UpstreamError, UpstreamIdentity, UpstreamRejected
from idp.federation.groups import upstream_groups

CACHE_SECONDS = 3600
ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "EdDSA"]


class OidcConnector(Connector):
    uses_nonce = True
    default_scope = "openid email profile"

    def __init__(self, provider, timeout):
        super().__init__(provider, timeout)
        self._lock = threading.Lock()
        self._metadata: tuple[float, dict] | None = None
        self._jwks: tuple[float, KeySet] | None = None

    @property
    def scope(self) -> str:
        return self.provider.scope or self.default_scope

    def metadata(self) -> dict:
        """The discovery document (cached for an hour), with configured endpoint overrides on top."""
        with self._lock:
            if self._metadata and self._metadata[0] > time.time():
                meta = self._metadata[1]
            else:
                meta = self.get_json(self.provider.discovery_url)
                if not isinstance(meta, dict) or not meta.get("issuer"):
                    raise UpstreamError("the discovery document has no issuer")
                self._metadata = (time.time() + CACHE_SECONDS, meta)
        overrides = {"authorization_endpoint": self.provider.authorize_url, "token_endpoint": self.provider.token_url,
                     "userinfo_endpoint": self.provider.userinfo_url, "jwks_uri": self.provider.jwks_url,
                     "issuer": self.provider.issuer}
        return {**meta, **{k: v for k, v in overrides.items() if v}}

    def keys(self, kid: str | None) -> KeySet:
        """The provider's JWKS, fetched again when a token names a key we have not seen (rotation)."""
        cached = self._jwks
        if cached and cached[0] > time.time() and (kid is None or any(
                k.get("kid") == kid for k in cached[1].as_dict()["keys"])):
            return cached[1]
        data = self.get_json(self.metadata()["jwks_uri"])
        try:
            keyset = KeySet.import_key_set(data)
        except (JoseError, ValueError, TypeError, KeyError):
            raise UpstreamError("the provider's JWKS cannot be read") from None
        self._jwks = (time.time() + CACHE_SECONDS, keyset)
        return keyset

    def response_issuer(self) -> tuple[str | None, bool]:
        """The discovery issuer (or the configured one), compared as an exact string; whether
        responses carry `iss` comes from discovery unless configured either way."""
        meta = self.metadata()
        configured = self.provider.authorization_response_iss
        advertised = meta.get("authorization_response_iss_parameter_supported") is True
        return meta["issuer"], advertised if configured is None else configured

    def accepted_issuers(self, meta: dict) -> set[str]:
        return {meta["issuer"]}

    def authorization_url(self, state, nonce, code_verifier):
        meta = self.metadata()
        url, _ = self.oauth_session(self.scope).create_authorization_url(
            meta["authorization_endpoint"], state=state, nonce=nonce, code_verifier=code_verifier)
        return url

    def identity(self, code, code_verifier, nonce):
        meta = self.metadata()
        token = self.exchange(meta["token_endpoint"], self.scope, code, code_verifier)
        claims = self.validate_id_token(token.get("id_token"), nonce, meta)
        email, verified, name = claims.get("email"), claims.get("email_verified"), claims.get("name")
        groups = claims.get(self.provider.groups_claim)
        wants_groups = bool(self.provider.group_map) and groups is None
        if (not email or wants_groups) and meta.get("userinfo_endpoint"):
            info = self.get_json(meta["userinfo_endpoint"], token["access_token"])
            if str(info.get("sub")) != str(claims["sub"]):  # OIDC Core 5.3.2
                raise UpstreamRejected("userinfo is about another subject")
            if not email:
                email, verified, name = info.get("email"), info.get("email_verified"), name or info.get("name")
            groups = info.get(self.provider.groups_claim) if groups is None else groups
        return UpstreamIdentity(provider=self.name, subject=str(claims["sub"]),
                                email=email.strip().lower() if isinstance(email, str) and email else None,
                                email_verified=verified is True or verified == "true", name=name,
                                groups=upstream_groups(self.provider, groups))

    def validate_id_token(self, id_token: str | None, nonce: str, meta: dict) -> dict:
        """OIDC Core 3.1.3.7: signature, iss, aud (and azp), exp, iat, nonce."""
        if not id_token or not isinstance(id_token, str):
            raise UpstreamRejected("no ID token in the token response")
        try:
            kid = jws.extract_compact(id_token.encode()).headers().get("kid")
            token = jwt.decode(id_token, self.keys(kid), algorithms=ALGORITHMS)
        except UpstreamError:
            raise
        except (JoseError, ValueError, TypeError, KeyError):
            raise UpstreamRejected("the ID token's signature is not valid") from None
        claims = token.claims
        if claims.get("iss") not in self.accepted_issuers(meta):
            raise UpstreamRejected("the ID token's issuer is not the provider")
        registry = JWTClaimsRegistry(
            leeway=60,
            aud={"essential": True, "value": self.provider.client_id},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise UpstreamRejected(f"the ID token was refused ({exc.error}: {exc.description})") from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.provider.client_id:
            raise UpstreamRejected("the ID token was issued to another client (azp)")
        return claims
