"""Token introspection (RFC 7662).

1. authenticate the calling client (RFC 7662 2.1: the endpoint MUST require authorization);
2. find the token: a JWT access token we verify, or a refresh token row;
3. refresh tokens are shown only to the client they were issued to; access tokens for an API
   only to its resource server or the client they were issued to (idp/apis/access.py);
4. inactive (expired, revoked, unknown, foreign) -> {"active": false} (RFC 7662 2.2);
5. active -> its claims (aud, groups, roles, entitlements; the full lists behind an overage marker).
"""

from __future__ import annotations

import datetime as dt

from authlib.oauth2.rfc7662 import IntrospectionEndpoint as _Base

from idp.oauth.endpoints.tokens_lookup import find_token
from idp.plumbing.context import services
from idp.store.refresh_tokens import RefreshGrant
from idp.tokens.subjects import subject_for, user_id_for


class IntrospectionEndpoint(_Base):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "client_secret_jwt"]

    def query_token(self, token_string, token_type_hint):
        return find_token(token_string, token_type_hint)

    def check_permission(self, token, client, request):
        if isinstance(token, RefreshGrant):
            return token.client_id == client.client_id
        # RFC 7662 4: an API's resource server sees only tokens meant for it (idp/apis/access.py)
        return services().api_access.may_introspect(client.client_id, token.claims, services().config.issuer)

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
        for name in ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti", "auth_time", "cnf",
                     "groups", "roles", "entitlements", "org_id", "org_name", "act"):  # act: RFC 8693 4.1
            if name in claims:
                payload[name] = claims[name]
        user_id = None
        if any(name.endswith("_overage") for name in claims):  # the full lists the token had no room for
            user_id = user_id_for(services(), services().clients.get(claims.get("client_id")), claims.get("sub"))
            if user_id:
                payload.update(services().api_access.full_lists(user_id, claims))
        # the API's mapped claims the token carries (issue 35), in full behind an overage marker
        user = services().users.for_tokens(user_id) if user_id else None
        mapped = services().custom_claims.for_introspection(user, claims)
        payload.update({name: value for name, value in mapped.items() if name not in payload})
        return payload
