"""JWT-Secured Authorization Requests (RFC 9101): a signed request object by value
(`request`), at the authorization endpoint or pushed to the PAR endpoint.

authlib's JWTAuthenticationRequest does the work (one of request/request_uri, the
signature, client_id matching, no nested request); we give it the client's keys
(the cached jwks/jwks_uri of client_auth), only asymmetric algorithms (never
`none`: an unsigned object proves nothing), and check iss/aud/exp when present
(RFC 9101 10.2).

A request object works once (RFC 9101 10.8, RFC 9700 4.5: a captured object must not start a
second authorization): its `jti` (or, without one, the object's hash) is remembered per client in
the ephemeral store until the object expires. `exp` may lie at most MAX_LIFETIME ahead, and an
object without `exp` counts as living MAX_LIFETIME from its `iat` (or from now), so the replay
cache is bounded. Where the client (`require_signed_request_object`, RFC 9101 10.5) or the
deployment (REQUIRE_SIGNED_REQUEST_OBJECT) requires signed request objects, a request without one
is invalid_request, and the object must carry `exp` and `aud` (the issuer). It is called explicitly at the start of the authorization
request rather than as a hook, so the request that waits across login and
consent is the expanded one and a one-time PAR request_uri is read only once.
`request_uri` pointing elsewhere than our PAR endpoint is not fetched
(request_uri_parameter_supported is false).
"""

from __future__ import annotations

import json
import time

from authlib.oauth2.rfc9101 import JWTAuthenticationRequest as _Base
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc9101.errors import InvalidRequestObjectError
from joserfc.jwt import JWTClaimsRegistry

from idp.oauth.client_auth import ASYMMETRIC_ALGS, ClientKeys
from idp.plumbing.context import services
from idp.plumbing.security import token_hash

JWT_CLAIMS = ("iss", "aud", "exp", "iat", "nbf", "jti")
LEEWAY = 30  # seconds of clock skew allowed on exp/nbf/iat
MAX_LIFETIME = 3600  # the longest a request object may stay valid: bounds the replay cache


def requires_signed_request_object(client) -> bool:
    """RFC 9101 10.5, for this client (its metadata) or for every client (the deployment)."""
    return services().config.require_signed_request_object or \
        bool(client.client_metadata.get("require_signed_request_object"))


class SignedRequestObject(_Base):
    def __init__(self, client_keys: ClientKeys):
        super().__init__(support_request=True, support_request_uri=False)
        self.client_keys = client_keys

    @property
    def claims_validator(self):
        issuer = services().config.issuer
        return JWTClaimsRegistry(leeway=30, client_id={"essential": True}, aud={"values": [issuer]})

    def resolve_client_public_key(self, client):
        meta = client.client_metadata
        if not (meta.get("jwks") or meta.get("jwks_uri")):
            raise InvalidRequestObjectError(description="The client has no registered keys to verify it.")
        return self.client_keys.keyset(client)

    def get_request_object_signing_algorithms(self, client):
        wanted = client.client_metadata.get("request_object_signing_alg")
        return [wanted] if wanted in ASYMMETRIC_ALGS else ASYMMETRIC_ALGS

    def _decode_request_object(self, request, client, raw_request_object):
        request_object = super()._decode_request_object(request, client, raw_request_object)
        claims = request_object.claims
        if claims.get("iss", client.client_id) != client.client_id:
            raise InvalidRequestObjectError(description="iss must be the client_id (RFC 9101 10.2).")
        if requires_signed_request_object(client) and not ("exp" in claims and "aud" in claims):
            raise InvalidRequestObjectError(
                description="This client's request objects must carry exp and aud (RFC 9101 10.5).")
        self._use_once(client.client_id, claims, raw_request_object)
        return request_object

    @staticmethod
    def _use_once(client_id: str, claims: dict, raw: str) -> None:
        """Refuse an object seen before within its lifetime, and one that would live too long."""
        now = time.time()
        exp, iat = claims.get("exp"), claims.get("iat")
        if exp is not None and exp > now + MAX_LIFETIME + LEEWAY:
            raise InvalidRequestObjectError(
                description=f"exp lies more than {MAX_LIFETIME} s ahead: request objects are short-lived.")
        if exp is None:  # (numbers: the claims registry checked their types)
            exp = (iat if iat is not None else now) + MAX_LIFETIME
            if exp <= now - LEEWAY:
                raise InvalidRequestObjectError(description="The request object is too old (iat).")
        jti = claims.get("jti")
        marker = token_hash(f"{client_id} {jti}" if isinstance(jti, str) and jti else raw)
        if not services().store.add("jar-used:" + marker, "1", int(exp - now) + LEEWAY + 1):
            raise InvalidRequestObjectError(description="This request object was already used (RFC 9101 10.8).")

    def get_server_metadata(self):
        return {}

    def parameters(self, server, oauth_request, client=None) -> dict | None:
        """The request object's authorization parameters (None when there is no `request`),
        as the strings a query would carry: JSON values such as `claims` stay JSON. `client`: the
        authenticated client (PAR), which may have to send one."""
        if "request" not in oauth_request.payload.data:
            if client is not None and requires_signed_request_object(client):
                raise InvalidRequestError("This client must send a signed request object (RFC 9101 10.5).")
            return None
        self.parse_authorization_request(server, oauth_request)
        return {name: value if isinstance(value, str) else json.dumps(value)
                for name, value in oauth_request.payload.data.items() if name not in JWT_CLAIMS}
