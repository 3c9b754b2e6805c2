"""Token revocation (RFC 7009).

1. authenticate the client (public clients by client_id, RFC 7009 2.1);
2. find the token; an unknown or invalid token still answers 200 (RFC 7009 2.2);
3. a token issued to another client is refused;
4. a refresh token revokes its whole grant, access tokens included (RFC 7009 2.1 SHOULD);
   an access token is revoked by its jti, durably and in the cache every replica reads.
"""

from __future__ import annotations

from authlib.oauth2.rfc7009 import RevocationEndpoint as _Base

from idp.oauth.endpoints.tokens_lookup import find_token
from idp.plumbing.context import services
from idp.store.refresh_tokens import RefreshGrant


class RevocationEndpoint(_Base):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "client_secret_jwt",
                           "none"]

    def query_token(self, token_string, token_type_hint):
        return find_token(token_string, token_type_hint)

    def revoke_token(self, token, request):
        tokens = services().tokens
        if isinstance(token, RefreshGrant):
            tokens.revoke_grant(token.family_id)
        else:
            tokens.revoke_access_token(token.claims)
