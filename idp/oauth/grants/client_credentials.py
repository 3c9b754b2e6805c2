"""client_credentials (RFC 6749 4.4): a confidential client acting for itself.

The admin API's scopes (admin:read, admin:write) are granted here and nowhere else, and only to
a client an operator registered with them: asking for one the client lacks is invalid_scope
(RFC 6749 5.2)."""

from authlib.oauth2.rfc6749 import InvalidScopeError, grants

from idp.oauth.grants.base import IssuesTokens
from idp.oauth.scopes import ADMIN_SCOPES


class ClientCredentialsGrant(IssuesTokens, grants.ClientCredentialsGrant):
    # Public clients cannot use this grant (RFC 6749 4.4: confidential clients only).
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt",
                                   "client_secret_jwt"]

    def validate_requested_scope(self):
        values = (self.request.payload.scope or "").split()
        admin = [s for s in values if s in ADMIN_SCOPES]
        if not admin:
            return super().validate_requested_scope()
        if not set(admin) <= set(self.request.client.scope.split()):
            raise InvalidScopeError("This client is not granted the admin scope it asks for.")
        rest = " ".join(s for s in values if s not in ADMIN_SCOPES)
        self.server.validate_requested_scope(rest or None)
