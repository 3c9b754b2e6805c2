"""UserInfo (OpenID Connect Core 5.3).

1. the bearer access token from the header or the form body (RFC 6750 2.1, 2.2);
2. verified: signature, typ at+jwt, issuer, expiry, not revoked; scope includes openid;
3. the user still exists and is enabled;
4. the claims the token's scopes allow.
"""

from authlib.oauth2.rfc6750 import InvalidTokenError
from flask import jsonify

from ...context import bearer_protector, services
from ..grants.authorization_code import user_claims


def userinfo():
    token = bearer_protector().acquire_token(["openid"])
    user = services().users.by_id(token.claims.get("sub"))
    if user is None or user.disabled:
        bearer_protector().raise_error_response(InvalidTokenError())
    response = jsonify(dict(user_claims(user, token.scope)))
    response.headers["Cache-Control"] = "no-store"
    return response
