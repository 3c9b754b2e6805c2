"""JWT-Secured Authorization Requests (RFC 9101): a signed request object by value
(`request`), at the authorization endpoint or pushed to the PAR endpoint.

authlib's JWTAuthenticationRequest does the work (one of request/request_uri, the
signature, client_id matching, no nested request); we give it the client's keys
(the cached jwks/jwks_uri of client_auth), only asymmetric algorithms (never
`none`: an unsigned object proves nothing), and check iss/aud/exp when present
(RFC 9101 10.2). It is called explicitly at the start of the authorization
request rather than as a hook, so the request that waits across login and
consent is the expanded one and a one-time PAR request_uri is read only once.
`request_uri` pointing elsewhere than our PAR endpoint is not fetched
(request_uri_parameter_supported is false).
"""

from __future__ import annotations

import json

from authlib.oauth2.rfc9101 import JWTAuthenticationRequest as _Base
from authlib.oauth2.rfc9101.errors import InvalidRequestObjectError
from joserfc.jwt import JWTClaimsRegistry

from idp.oauth.client_auth import ASYMMETRIC_ALGS, ClientKeys
from idp.plumbing.context import services

JWT_CLAIMS = ("iss", "aud", "exp", "iat", "nbf", "jti")


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
        if request_object.claims.get("iss", client.client_id) != client.client_id:
            raise InvalidRequestObjectError(description="iss must be the client_id (RFC 9101 10.2).")
        return request_object

    def get_server_metadata(self):
        return {}

    def parameters(self, server, oauth_request) -> dict | None:
        """The request object's authorization parameters (None when there is no `request`),
        as the strings a query would carry: JSON values such as `claims` stay JSON."""
        if "request" not in oauth_request.payload.data:
            return None
        self.parse_authorization_request(server, oauth_request)
        return {name: value if isinstance(value, str) else json.dumps(value)
                for name, value in oauth_request.payload.data.items() if name not in JWT_CLAIMS}
