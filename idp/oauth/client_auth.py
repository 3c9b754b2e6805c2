"""Client authentication with signed JWTs (RFC 7523 2.2 and 3; OIDC Core 9):
private_key_jwt (the client's public keys, from `jwks` or a cached `jwks_uri`) and
client_secret_jwt (HS256 with the client's secret).

authlib's JWTBearerClientAssertion checks iss = sub = client_id, aud and exp; we add:
* the accepted audiences: the issuer, the token endpoint or the endpoint being called;
* a bounded life: exp at most MAX_LIFETIME ahead (its jti is remembered until then);
* the algorithms allowed per method (no HS256 against a public key, no "none");
* jti remembered (store.add, SET NX) until exp, so a replayed assertion is refused;
* keys cached per client so an assertion costs one signature verification; an unknown
  kid refetches jwks_uri at most once per REFETCH_INTERVAL (the RP rotated its keys).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time

from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc6749.authenticate_client import authenticate_client_secret_basic
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from flask import g
from flask import request as flask_request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OctKey

from idp.plumbing.context import services
from idp.plumbing.outbound import OutboundError

ASYMMETRIC_ALGS = ["RS256", "PS256", "ES256", "EdDSA"]
MAX_LIFETIME = 3600  # the common library default (authlib, nimbus); jti is kept that long
JWKS_URI_TTL = 300
REFETCH_INTERVAL = 10


class ClientKeys:
    """Per-process cache of each client's verification keys."""

    def __init__(self):
        self._cache: dict[str, tuple[str, KeySet, float]] = {}
        self._fetched_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def keyset(self, client, refresh: bool = False) -> KeySet:
        meta = client.client_metadata
        source = json.dumps(meta.get("jwks"), sort_keys=True) if meta.get("jwks") else meta.get("jwks_uri")
        if not source:
            raise InvalidClientError(description="The client has no registered keys (jwks or jwks_uri).")
        fingerprint = hashlib.sha256(source.encode()).hexdigest()
        hit = self._cache.get(client.client_id)
        now = time.monotonic()
        if hit and hit[0] == fingerprint and hit[2] > now and not refresh:
            return hit[1]
        if meta.get("jwks"):
            keys, ttl = meta["jwks"], float("inf")
        else:
            last = self._fetched_at.get(client.client_id, 0.0)
            if hit and hit[0] == fingerprint and now - last < REFETCH_INTERVAL:
                return hit[1]  # refetching on every bad kid would let anyone make us flood the RP
            self._fetched_at[client.client_id] = now
            try:
                keys, ttl = services().outbound.get_json(meta["jwks_uri"]), JWKS_URI_TTL
            except OutboundError as exc:
                raise InvalidClientError(description=f"The client's jwks_uri could not be used: {exc}") from None
        try:
            keyset = KeySet.import_key_set(keys)
        except (JoseError, ValueError, TypeError, KeyError):
            raise InvalidClientError(description="The client's key set is not a valid JWKS.") from None
        if any(key.is_private for key in keyset.keys):
            raise InvalidClientError(description="The client's key set contains private keys.")
        with self._lock:
            self._cache[client.client_id] = (fingerprint, keyset, now + ttl)
        return keyset


class _ClientAssertion(JWTBearerClientAssertion):
    ALGORITHMS: list[str] = []

    def __init__(self):
        super().__init__(validate_jti=True, leeway=30)

    def get_audiences(self):
        issuer = services().config.issuer
        return [issuer, f"{issuer}/token", issuer + flask_request.path]

    def __call__(self, query_client, request):
        assertion = request.form.get("client_assertion")
        if assertion and request.form.get("client_assertion_type") == self.CLIENT_ASSERTION_TYPE:
            subject = self.extract_assertion(assertion)[1].get("sub")
            owner = query_client(subject) if isinstance(subject, str) else None
            if owner is not None and owner.token_endpoint_auth_method != self.CLIENT_AUTH_METHOD:
                return None  # the other JWT method's assertion: authlib tries the next method
        client_id = request.form.get("client_id")
        client = super().__call__(query_client, request)
        if client is not None and client_id and client_id != client.client_id:
            raise InvalidClientError(description="client_id does not match the assertion's subject.")
        return client

    def algorithms(self, client) -> list[str]:
        wanted = client.client_metadata.get("token_endpoint_auth_signing_alg")
        return [wanted] if wanted in self.ALGORITHMS else self.ALGORITHMS

    def process_assertion_claims(self, assertion, resolve_key):
        client = g.assertion_client
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=self.algorithms(client))
        except JoseError as exc:
            token = self.retry_with_fresh_keys(client, assertion, exc)
        self.verify_claims(token.claims)
        exp = token.claims["exp"]
        if not isinstance(exp, int) or exp > time.time() + MAX_LIFETIME + self.leeway:
            raise InvalidClientError(description=f"The assertion must expire within {MAX_LIFETIME} seconds.")
        return token.claims

    def retry_with_fresh_keys(self, client, assertion, error):
        raise InvalidClientError(description="The assertion's signature does not verify.") from error

    def resolve_client_public_key(self, client):
        g.assertion_client = client  # authlib passes only the key on to process_assertion_claims
        return self.client_key(client)

    def validate_jti(self, claims, jti):
        if not isinstance(jti, str) or not jti or len(jti) > 256:
            return False
        ttl = max(1, int(claims["exp"] - time.time()) + self.leeway)
        digest = hashlib.sha256(f"{claims['sub']}\0{jti}".encode()).hexdigest()
        return services().store.add("assertion-jti:" + digest, "1", ttl)


class PrivateKeyJWT(_ClientAssertion):
    CLIENT_AUTH_METHOD = "private_key_jwt"
    ALGORITHMS = ASYMMETRIC_ALGS

    def __init__(self, client_keys: ClientKeys):
        super().__init__()
        self.client_keys = client_keys

    def client_key(self, client):
        return self.client_keys.keyset(client)

    def retry_with_fresh_keys(self, client, assertion, error):
        if client.client_metadata.get("jwks_uri"):
            try:
                return jwt.decode(assertion, self.client_keys.keyset(client, refresh=True),
                                  algorithms=self.algorithms(client))
            except JoseError:
                pass
        return super().retry_with_fresh_keys(client, assertion, error)


class ClientSecretJWT(_ClientAssertion):
    CLIENT_AUTH_METHOD = "client_secret_jwt"
    ALGORITHMS = ["HS256"]

    def client_key(self, client):
        secret = services().clients.shared_secret(client)
        if not secret:
            raise InvalidClientError(description="The client has no shared secret.")
        return OctKey.import_key(secret)

    def retry_with_fresh_keys(self, client, assertion, error):
        """During a secret rotation's grace period, assertions made with the previous secret still verify."""
        previous = services().clients.previous_shared_secret(client)
        if previous:
            try:
                return jwt.decode(assertion, OctKey.import_key(previous), algorithms=self.algorithms(client))
            except JoseError:
                pass
        return super().retry_with_fresh_keys(client, assertion, error)


JWT_AUTH_METHODS = ["private_key_jwt", "client_secret_jwt"]


def client_secret_basic(query_client, request):
    """authlib's client_secret_basic, except that credentials which are not `id:secret` in UTF-8
    (RFC 7617 2), or a bare `Basic `, fail the authentication (invalid_client, 401: RFC 6749 2.3.1)
    instead of raising the ValueError authlib's parser lets out (a 500 at every endpoint that
    authenticates clients: /token, /introspect, /revoke, /par, /device_authorization; issue 30)."""
    try:
        extract_basic_authorization(request.headers)
    except ValueError:  # UnicodeDecodeError of the decoded bytes; nothing after the scheme
        return None
    return authenticate_client_secret_basic(query_client, request)


def register(server, client_keys: ClientKeys) -> None:
    server.register_client_auth_method("client_secret_basic", client_secret_basic)
    server.register_client_auth_method("private_key_jwt", PrivateKeyJWT(client_keys))
    server.register_client_auth_method("client_secret_jwt", ClientSecretJWT())
