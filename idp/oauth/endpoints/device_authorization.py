"""The device authorization endpoint (RFC 8628 3.1, 3.2).

1. authenticate the client (public clients by client_id), which must be allowed the device_code grant;
0. a parameter sent twice is invalid_request (RFC 6749 3.2);
2. the scope: supported by the server (unknown values of an OpenID request ignored, OIDC Core 3.1.2.1), narrowed to what the client may ask for;
   `resource` values (RFC 8707) pick the APIs, as at the authorization endpoint;
3. a device code (random, stored only as its hash) and a user code of 8 letters from an
   unambiguous alphabet (RFC 8628 6.1);
4. the answer: device_code, user_code, verification_uri, verification_uri_complete,
   expires_in, interval; no-store.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import UnauthorizedClientError
from authlib.oauth2.rfc8628 import DEVICE_CODE_GRANT_TYPE
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint as _Base

from idp.oauth.client_auth import JWT_AUTH_METHODS
from idp.oauth.endpoints.introspection import endpoint_response
from idp.oauth.resources import live_resources, targets_for, user_grantable_scope
from idp.oauth.scopes import understood_scope
from idp.plumbing.context import services
from idp.tokens.device_authorizations import DeviceStore


class DeviceAuthorizationEndpoint(_Base):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", *JWT_AUTH_METHODS, "none"]
    INTERVAL = 5

    def authenticate_client(self, request):
        client = super().authenticate_client(request)
        if not client.check_grant_type(DEVICE_CODE_GRANT_TYPE):
            raise UnauthorizedClientError("The client may not use the device authorization grant.")
        return client

    @property
    def EXPIRES_IN(self):  # noqa: N802  (authlib's name)
        return services().config.device_code_ttl

    def get_verification_uri(self):
        return services().config.issuer + "/device"

    def save_device_credential(self, client_id, scope, data):
        client = services().clients.get(client_id)
        scope = understood_scope(scope)
        targets = targets_for(client_id, live_resources())  # RFC 8707 2: invalid_target
        scope = user_grantable_scope(client, scope, targets, None)
        DeviceStore(services().store).create(data["device_code"], data["user_code"], client_id, scope,
                                             data["expires_in"], data["interval"], [t.identifier for t in targets])


def device_authorization():
    return endpoint_response("device_authorization")  # repeated parameters refused first (RFC 6749 3.2)
