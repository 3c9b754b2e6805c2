"""UserInfo (OpenID Connect Core 5.3).

1. the bearer access token from the header or the form body (RFC 6750 2.1, 2.2);
2. verified: signature, typ at+jwt, issuer, expiry, not revoked; scope includes openid;
3. the user (behind a pairwise sub, for such clients) still exists and is enabled;
4. the claims the token's scopes allow (groups / roles: idp/apis/access.py, unbounded here), and the
   client's mapped claims (idp/apis/custom_claims.py).
"""

from authlib.oauth2.rfc6750 import InvalidTokenError
from flask import g, jsonify

from idp.oauth.claims import user_claims
from idp.plumbing.context import bearer_protector, services
from idp.tokens.subjects import user_id_for


def userinfo():
    svc = services()
    token = bearer_protector().acquire_token(["openid"])
    client = svc.clients.get(token.claims.get("client_id"))
    g.cors_client_id = client.client_id if client else None  # whose origins may read this (plumbing/cors.py)
    user_id = user_id_for(svc, client, token.claims.get("sub")) if client else None
    user = svc.users.for_tokens(user_id) if user_id else None
    if user is None or user.disabled:
        bearer_protector().raise_error_response(InvalidTokenError())
    claims = dict(user_claims(user, token.scope, token.claims["sub"]))
    aud = token.claims.get("aud")
    # groups / roles scopes: the full lists (a token past the bound carries only an overage marker)
    claims.update(svc.api_access.identity_claims(user.id, token.scope, aud if isinstance(aud, list) else [aud],
                                                 limit=None, organization=token.claims.get("org_id")))
    # the client's mapped claims (issue 35), in full here (an ID token past its bound says <claim>_overage)
    mapped = svc.custom_claims.for_client(user, client.client_id, token.scope, token.claims.get("org_id"), budget=None)
    claims.update({name: value for name, value in mapped.items() if name not in claims})
    response = jsonify(claims)
    response.headers["Cache-Control"] = "no-store"
    return response
