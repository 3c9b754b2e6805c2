"""Token introspection (RFC 7662).

1. authenticate the calling client (RFC 7662 2.1: the endpoint MUST require authorization);
2. find the token: a JWT access token we verify, or a refresh token row;
3. refresh tokens are shown only to the client they were issued to;
4. inactive (expired, revoked, unknown, foreign) -> {"active": false} (RFC 7662 2.2);
5. active -> its claims.
"""

from __future__ import annotations

import datetime as dt

from authlib.oauth2.rfc7662 import IntrospectionEndpoint as _Base

from idp.oauth.endpoints.tokens_lookup import find_token
from idp.plumbing.context import services
from idp.store.refresh_tokens import RefreshGrant
from idp.tokens.subjects import subject_for


class IntrospectionEndpoint(_Base):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "client_secret_jwt"]

    def query_token(self, token_string, token_type_hint):
        return find_token(token_string, token_type_hint)

    def check_permission(self, token, client, request):
        if isinstance(token, RefreshGrant):
            return token.client_id == client.client_id
        return True  # resource servers are clients too; any authenticated one may ask about access tokens

    def introspect_token(self, token):
        issuer = services().config.issuer
        if isinstance(token, RefreshGrant):
            return {
                "active": True,
                "token_type": "refresh_token",
                "client_id": token.client_id,
                "sub": subject_for(services(), services().clients.get(token.client_id), token.user_id),
                "scope": token.scope,
                "iss": issuer,
                "exp": int(token.expires_at.replace(tzinfo=dt.timezone.utc).timestamp()),
            }
        claims = token.claims
        # RFC 9449 6.2: a bound token says so, and to which key, for the resource server to check the proof
        payload = {"active": True, "token_type": "DPoP" if claims.get("cnf") else "Bearer"}
        for name in ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti", "auth_time", "cnf"):
            if name in claims:
                payload[name] = claims[name]
        return payload
