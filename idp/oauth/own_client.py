"""A relying party living inside the IdP (the admin console, `idp demo`'s callback page) finishing
its authorization code flow: the code redeemed at this issuer's token endpoint, then the ID
token's checks (OpenID Connect Core 1.0 3.1.3.7).

The token request goes through the app in-process (a WSGI call, the same code path as a network
request): such a client lives inside the IdP, and going out to the public issuer URL and back
through the load balancer would need that route from every pod and hold a second worker.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from idp.plumbing.context import services

ID_TOKEN_LEEWAY = 60  # seconds of clock difference allowed on exp and iat


def redeem_code(client_id: str, client_secret: str, code: str, redirect_uri: str,
                code_verifier: str) -> tuple[int, dict]:
    """POST /token (RFC 6749 4.1.3, client_secret_basic per 2.3.1, PKCE per RFC 7636 4.5): the
    status and the JSON body (an error's too)."""
    credentials = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}"
    response = current_app.test_client(use_cookies=False).post(
        "/token", base_url=services().config.issuer,
        headers={"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()},
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
              "code_verifier": code_verifier})
    return response.status_code, response.get_json(silent=True) or {}


def verified_id_token(id_token: str, client_id: str, nonce: str) -> dict | None:
    """The claims when the signature (the issuer's published keys), iss, aud, exp and nonce check out."""
    svc = services()
    jwks, _etag = svc.keys.jwks()
    try:
        token = jwt.decode(id_token, KeySet.import_key_set(json.loads(jwks)), algorithms=svc.keys.signing_algs())
        JWTClaimsRegistry(leeway=ID_TOKEN_LEEWAY, iss={"essential": True, "value": svc.config.issuer},
                          aud={"essential": True, "value": client_id},
                          nonce={"essential": True, "value": nonce}, sub={"essential": True},
                          exp={"essential": True}).validate(token.claims)
    except (JoseError, ValueError):
        return None
    return token.claims
