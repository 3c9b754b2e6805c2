"""Client configuration (RFC 7592) at registration_client_uri: GET reads, PUT replaces, DELETE removes.

1. the registration access token (bearer), compared in constant time with the hash
   stored for that client; missing or wrong -> 401 invalid_token (RFC 7592 3);
2. an unknown client -> 401 (RFC 7592 2.1); clients made by an operator have no
   registration access token and cannot be managed here;
3. PUT: the full metadata again, validated like a registration; client_id must match,
   the authentication method cannot change (its credentials would not follow);
4. answers: 200 with the metadata, registration_client_uri and the token; 204 for DELETE.
"""

from __future__ import annotations

import hmac

from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oauth2.rfc7591 import InvalidClientMetadataError
from authlib.oauth2.rfc7592 import ClientConfigurationEndpoint as _Base
from flask import abort
from flask import request as flask_request

from idp.administration import client_policy
from idp.oauth import client_metadata
from idp.oauth.endpoints.discovery import current_metadata
from idp.oauth.endpoints.register import bearer_token, registration_client_uri, require_json_object
from idp.plumbing.context import oauth_server, services
from idp.plumbing.security import token_hash


class RegistrationAccessToken:
    def __init__(self, value: str):
        self.value = value

    def check_client(self, client) -> bool:
        expected = client.registration_token_hash or ""
        return bool(expected) and hmac.compare_digest(token_hash(self.value), expected)


class ClientConfigurationEndpoint(_Base):
    def authenticate_token(self, request):
        token = bearer_token(request)
        if not token or len(token) > 256:
            raise InvalidTokenError(description="The registration access token is missing.")
        return RegistrationAccessToken(token)

    def authenticate_client(self, request):
        return services().clients.get(flask_request.view_args.get("client_id"))

    def revoke_access_token(self, request, token):
        """Nothing to revoke: the token's hash lived on the client row that does not exist."""

    def create_configuration_response(self, request):
        token = self.authenticate_token(request)
        client = self.authenticate_client(request)
        if client is not None and not token.check_client(client):
            raise InvalidTokenError(description="The registration access token is not valid for this client.")
        return super().create_configuration_response(request)

    def check_permission(self, client, request):
        return True  # the token check above already bound the request to this client

    def introspect_client(self, client):
        return client_policy.describe(client)

    def generate_client_registration_info(self, client, request):
        return {"registration_client_uri": registration_client_uri(client.client_id),
                "registration_access_token": request.credential.value}

    def get_server_metadata(self):
        return current_metadata()

    def extract_client_metadata(self, request):
        # the client itself: what an operator gave it (token exchange) stays, nothing more is taken
        return client_metadata.validate(request.payload.data, self.get_server_metadata(), services().outbound,
                                        current=self.authenticate_client(request))

    def update_client(self, client, metadata, request):
        if metadata["token_endpoint_auth_method"] != client.token_endpoint_auth_method:
            raise InvalidClientMetadataError("token_endpoint_auth_method cannot change; register a new client")
        fields = client_policy.client_fields(metadata)
        return services().clients.update(
            client.client_id, name=fields["name"], redirect_uris=fields["redirect_uris"],
            grant_types=fields["grant_types"], scope=fields["scope"], metadata_=fields["metadata"],
            response_types=["code"] if "authorization_code" in fields["grant_types"] else [])

    def delete_client(self, client, request):
        services().clients.delete(client.client_id)


def client_configuration(client_id):
    if services().config.registration_mode == "off":
        abort(404)
    require_json_object()
    return oauth_server().create_endpoint_response("client_configuration")
