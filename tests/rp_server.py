"""A real local HTTP server playing the relying party's side: it publishes a JWKS (jwks_uri),
serves documents (sector_identifier_uri) and receives back-channel logout tokens, which it
validates as an RP must (OpenID Connect Back-Channel Logout 1.0 section 2.6)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import requests
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class RelyingPartyServer:
    def __init__(self):
        self.documents: dict[str, object] = {}  # GET path -> JSON body
        self.gets: list[str] = []
        self.logout_statuses: list[int] = []  # answers to give, in order (then 200)
        self.logout_tokens: list[dict] = []  # every delivery: {"status", "claims" or "error"}
        self.issuer = None
        self.client_id = None
        self._seen_jti: set[str] = set()
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                owner.gets.append(self.path)
                if self.path not in owner.documents:
                    self._answer(404, b"{}")
                    return
                self._answer(200, json.dumps(owner.documents[self.path]).encode())

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                status = owner.receive_logout(parse_qs(body).get("logout_token", [""])[0])
                self._answer(status, b"")

            def _answer(self, status, body):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- back-channel logout, validated like an RP (section 2.6) -------------
    def receive_logout(self, token: str) -> int:
        with self._lock:
            forced = self.logout_statuses.pop(0) if self.logout_statuses else None
        if forced is not None and forced != 200:
            self.logout_tokens.append({"status": forced, "error": "forced"})
            return forced
        try:
            claims = self.validate_logout_token(token)
        except (JoseError, ValueError, KeyError) as exc:
            self.logout_tokens.append({"status": 400, "error": str(exc)})
            return 400
        self.logout_tokens.append({"status": 200, "claims": claims})
        return 200

    def validate_logout_token(self, token: str) -> dict:
        meta = requests.get(self.issuer + "/.well-known/openid-configuration", timeout=5).json()
        jwks = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=5).json())
        decoded = jwt.decode(token, jwks, algorithms=meta["id_token_signing_alg_values_supported"])
        if decoded.header.get("typ") != "logout+jwt":
            raise ValueError("typ is not logout+jwt")
        JWTClaimsRegistry(iss={"essential": True, "value": self.issuer},
                          aud={"essential": True, "value": self.client_id},
                          iat={"essential": True}, exp={"essential": True},
                          jti={"essential": True}).validate(decoded.claims)
        claims = decoded.claims
        if "sub" not in claims and "sid" not in claims:
            raise ValueError("neither sub nor sid")
        if not isinstance(claims.get("events", {}).get(BACKCHANNEL_EVENT), dict):
            raise ValueError("no back-channel logout event")
        if "nonce" in claims:
            raise ValueError("a logout token must not contain a nonce")
        if claims["iat"] < time.time() - 300:
            raise ValueError("too old")
        with self._lock:
            if claims["jti"] in self._seen_jti:
                raise ValueError("replayed jti")
            self._seen_jti.add(claims["jti"])
        return claims

    def wait_for_logouts(self, count: int, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.logout_tokens) < count:
            time.sleep(0.05)
        return self.logout_tokens
