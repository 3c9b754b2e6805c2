"""Cross-origin calls from browser-based relying parties: single-page apps using the code flow
with PKCE call the token, userinfo and revocation endpoints from their own origin.

- Discovery and the JWKS are public documents every OIDC client library fetches: any origin may
  read them (`PUBLIC_DOCUMENT_HEADERS`, sent by oauth/published.py and by the Flask fallback).
- /token, /userinfo and /revoke answer an origin only for the client it belongs to (issue 30, 8):
  the calling client's origins (its http(s) redirect URIs' and its `allowed_origins` metadata,
  idp/plumbing/origins.py), plus the deployment-wide CORS_ORIGIN. Never with credentials: these
  endpoints authenticate the client or the token by header or form, never by the browser session,
  so no cookie ever needs to cross.

Which client calls:
- /token and /revoke: the client_id the request authenticates as (the Basic user name, or the
  form's client_id). It is read before the view checks the credentials, and only chooses whose
  origins the request's Origin is compared with: with wrong credentials the answer is an OAuth
  error, which the client's own origin may read (it has to, to show it) and no other.
- /userinfo: the client the access token was issued to, as the view verified it
  (`g.cors_client_id`); when the token is refused (expired, revoked), the client_id its payload
  names, for the same reason: only the 401 is answered, and only to that client's origins.

Preflights (OPTIONS) carry no credentials and no body, so they name no client: a preflight is
answered for an origin that is CORS_ORIGIN's or some registered client's (Clients.known_origins),
and refused (no CORS headers: the browser stops) for any other; the actual request is then
checked against the calling client as above. So an origin registered by client A may send a
request to /token, but reads the answer only when it calls as A; a preflight tells an origin no
more than that some client lists it.

flask-cors takes one fixed list of origins for a path, and cannot choose them per request from the
calling client; the few headers of the CORS protocol (Fetch standard 3.2) are therefore written
here.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import unquote

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from idp.config import Config
from idp.plumbing.context import services

BROWSER_ENDPOINTS = ("/token", "/userinfo", "/revoke")
PUBLIC_DOCUMENT_HEADERS = (("Access-Control-Allow-Origin", "*"),)
ALLOW_METHODS = "GET, POST"
ALLOW_HEADERS = "Authorization, Content-Type, DPoP"  # DPoP: RFC 9449 proofs from the browser
EXPOSE_HEADERS = "WWW-Authenticate, DPoP-Nonce"  # errors and nonces the app must read
PREFLIGHT_MAX_AGE = "600"


def install_cors(app: Flask, config: Config) -> None:
    deployment = frozenset(config.cors_origins)

    @app.before_request
    def _preflight():
        if request.method != "OPTIONS" or request.path not in BROWSER_ENDPOINTS:
            return None
        response = Response(status=200)
        response.headers["Allow"] = "OPTIONS, " + ALLOW_METHODS
        response.vary.add("Origin")
        origin = request.headers.get("Origin")
        if origin and request.headers.get("Access-Control-Request-Method") \
                and (origin in deployment or origin in services().clients.known_origins()):
            response.headers.update({
                "Access-Control-Allow-Origin": origin,  # equal to a registered, re-serialised origin
                "Access-Control-Allow-Methods": ALLOW_METHODS,
                "Access-Control-Allow-Headers": ALLOW_HEADERS,
                "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
            })
        return response

    @app.after_request
    def _actual(response):
        origin = request.headers.get("Origin")
        if not origin or request.path not in BROWSER_ENDPOINTS or request.method == "OPTIONS":
            return response  # no Origin: the same headers as the direct lane's (idp/oauth/direct.py)
        response.vary.add("Origin")  # the answers are no-store anyway; for any cache that ignores it
        if origin in deployment or origin in calling_client_origins():
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
        return response


def calling_client_origins() -> frozenset[str]:
    client = services().clients.get(calling_client_id())
    return client.origins if client is not None else frozenset()


def calling_client_id() -> str | None:
    """The client this request is for (see the module's docstring), or None."""
    if request.path == "/userinfo":
        return g.get("cors_client_id") or _token_client_id()
    authorization = request.headers.get("Authorization", "")
    if authorization[:6].lower() == "basic ":
        try:
            user = base64.b64decode(authorization[6:], validate=True).decode().partition(":")[0]
        except ValueError:
            return None
        return unquote(user)  # RFC 6749 2.3.1: form-urlencoded before Basic
    try:
        client_id = request.form.get("client_id")
    except HTTPException:  # a body the view refused already (too large, say): no client to name
        return None
    return client_id if isinstance(client_id, str) else None


def _token_client_id() -> str | None:
    """The client_id an access token's payload names, unverified (it only picks whose origins count)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() not in ("bearer", "dpop"):
        try:
            token = request.form.get("access_token", "")
        except HTTPException:
            return None
    parts = token.split(".")
    if len(parts) != 3 or len(parts[1]) > 8192:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    client_id = claims.get("client_id") if isinstance(claims, dict) else None
    return client_id if isinstance(client_id, str) else None
