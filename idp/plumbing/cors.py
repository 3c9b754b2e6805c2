"""Cross-origin calls from browser-based relying parties: single-page apps using the code flow
with PKCE call the token, userinfo and revocation endpoints from their own origin.

- Discovery and the JWKS are public documents every OIDC client library fetches: any origin may
  read them (`PUBLIC_DOCUMENT_HEADERS`, sent by oauth/published.py and by the Flask fallback).
- /token, /userinfo and /revoke answer only the origins listed in CORS_ORIGIN, and never with
  credentials: these endpoints authenticate the client or the token by header or form, never by
  the browser session, so no cookie ever needs to cross.

flask-cors does the protocol (preflight, the error responses too, Vary: Origin when more than
one origin is listed); this module only says which paths, methods and headers.
"""

from __future__ import annotations

from flask import Flask
from flask_cors import CORS

from idp.config import Config

BROWSER_ENDPOINTS = ["/token", "/userinfo", "/revoke"]
PUBLIC_DOCUMENT_HEADERS = (("Access-Control-Allow-Origin", "*"),)


def install_cors(app: Flask, config: Config) -> None:
    if not config.cors_origins:
        return
    CORS(
        app,
        resources=BROWSER_ENDPOINTS,  # literal paths: flask-cors compares them exactly
        origins=list(config.cors_origins),  # validated origins, compared exactly (config._origin)
        methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "DPoP"],  # DPoP: RFC 9449 proofs from the browser
        expose_headers=["WWW-Authenticate", "DPoP-Nonce"],  # errors and nonces the app must read
        supports_credentials=False,
        max_age=600,
    )
