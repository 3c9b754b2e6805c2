"""Dynamic client registration (RFC 7591), as REGISTRATION_MODE allows.

1. the policy: `off` -> 404; `token` -> an initial access token (RFC 7591 3, `idp clients
   registration-token`) as a bearer token, else 401 invalid_token; `open` -> anyone;
2. the metadata, a JSON object, validated (administration/client_policy.py) -> 400
   invalid_redirect_uri / invalid_client_metadata (RFC 7591 3.2.2);
3. the client is stored (the initial access token spends one use, atomically), with a
   registration access token kept as its hash (RFC 7592 3);
4. 201 with the metadata as stored, client_id, client_secret (unless the client needs none),
   client_id_issued_at, client_secret_expires_at 0, registration_client_uri and
   registration_access_token; no-store.
"""

from __future__ import annotations

import time

from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint as _Base
from authlib.oauth2.rfc7591 import InvalidClientMetadataError
from flask import abort, request

from idp.administration import client_policy
from idp.oauth import client_metadata
from idp.oauth.endpoints.discovery import current_metadata
from idp.plumbing.context import oauth_server, services
from idp.plumbing.security import random_token


def bearer_token(request) -> str | None:
    scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


class ClientRegistrationEndpoint(_Base):
    def authenticate_token(self, request):
        if services().config.registration_mode == "open":
            return "open"
        token = bearer_token(request)
        if not token or len(token) > 256 or not services().initial_access_tokens.valid(token):
            raise InvalidTokenError(description="A valid initial access token is required to register.")
        return token

    def get_server_metadata(self):
        return current_metadata()

    def extract_client_metadata(self, request):
        return client_metadata.validate(request.payload.data, self.get_server_metadata(), services().outbound)

    def generate_client_info(self, request):
        return {}  # the store makes the id and secret: see save_client

    def save_client(self, client_info, metadata, request):
        svc = services()
        if request.credential != "open" and not svc.initial_access_tokens.use(request.credential):
            raise InvalidTokenError(description="The initial access token was used up meanwhile.")
        request.registration_token = random_token(32)
        client, request.client_secret = svc.clients.create(
            **client_policy.client_fields(metadata), registration_token=request.registration_token)
        return client

    def generate_client_registration_info(self, client, request):
        info = client_policy.describe(client)
        info.update(client_id_issued_at=int(time.time()), client_secret_expires_at=0,
                    registration_client_uri=registration_client_uri(client.client_id),
                    registration_access_token=request.registration_token)
        if request.client_secret:
            info["client_secret"] = request.client_secret
        return info


def registration_client_uri(client_id: str) -> str:
    return f"{services().config.issuer}/connect/register/{client_id}"


def require_json_object():
    """A body that is not a JSON object is invalid metadata (RFC 7591 3.2.2), not a server error."""
    if request.method in ("POST", "PUT") and not isinstance(request.get_json(silent=True), dict):
        raise InvalidClientMetadataError("The body must be a JSON object (application/json).")


def register():
    if services().config.registration_mode == "off":
        abort(404)
    require_json_object()
    return oauth_server().create_endpoint_response("client_registration")
