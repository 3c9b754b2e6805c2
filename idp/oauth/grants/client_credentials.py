"""client_credentials (RFC 6749 4.4): a confidential client acting for itself."""

from authlib.oauth2.rfc6749 import grants

from idp.oauth.grants.base import IssuesTokens


class ClientCredentialsGrant(IssuesTokens, grants.ClientCredentialsGrant):
    # Public clients cannot use this grant (RFC 6749 4.4: confidential clients only).
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt",
                                   "client_secret_jwt"]
