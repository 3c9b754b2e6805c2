"""Real upstream providers on 127.0.0.1 for the federation tests.

- a second instance of this IdP is the OpenID Connect upstream (Google, LinkedIn, generic);
- GitHubStandIn speaks GitHub's OAuth (authorize, access_token with PKCE) and its
  /user and /user/emails API shapes;
- TokenProxy sits in front of the upstream's token endpoint and can hand back an ID token
  that is expired, issued to another client or badly signed: what a hostile or broken
  provider would send.

Both IdPs run on 127.0.0.1 and cookies ignore ports, so the upstream's cookies are renamed
on the wire (UpstreamCookies); in real life the two live on different hosts.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import requests
from flask import Flask, abort, jsonify, redirect, request
from joserfc import jws, jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

from .conftest import free_port


class UpstreamCookies:
    """WSGI middleware: the upstream IdP's cookies travel as up_* so they do not clobber the downstream's idp_*."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        cookie = SimpleCookie()
        cookie.load(environ.get("HTTP_COOKIE", ""))
        environ["HTTP_COOKIE"] = "; ".join(f"idp_{k[3:]}={m.value}" for k, m in cookie.items() if k.startswith("up_"))

        def renamed(status, headers, exc_info=None):
            headers = [(k, "up_" + v[4:] if k.lower() == "set-cookie" and v.startswith("idp_") else v)
                       for k, v in headers]
            return start_response(status, headers, exc_info)

        return self.app(environ, renamed)


class ThreadServer:
    def __init__(self, app: Flask):
        self.port = free_port()
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()


class GitHubStandIn(ThreadServer):
    """GitHub's OAuth web flow and user API, as documented, for one registered OAuth app."""

    def __init__(self):
        self.client_id = "Iv1." + secrets.token_hex(8)
        self.client_secret = secrets.token_hex(20)
        self.redirect_uris: set[str] = set()  # the registered callback URL(s), exact match
        self.account = None  # who is signed in at "GitHub": {"id", "login", "name", "emails": [...]}
        self.deny = False  # the user clicks "Cancel"
        self.api_down = False
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.requests: list[str] = []
        self.orgs: list[str] = []  # the signed-in account's organisations (logins)
        self.teams: list[tuple[str, str]] = []  # (org login, team slug)
        super().__init__(self.build())

    def sign_in_as(self, user_id: int, email: str, verified: bool = True, name: str = "Octo Cat"):
        self.account = {"id": user_id, "login": f"octo{user_id}", "name": name,
                        "emails": [{"email": f"other-{user_id}@users.noreply.example", "primary": False,
                                    "verified": True, "visibility": None},
                                   {"email": email, "primary": True, "verified": verified, "visibility": "public"}]}

    def build(self) -> Flask:
        app = Flask("github-stand-in")

        @app.before_request
        def _log():
            self.requests.append(request.path)

        @app.get("/login/oauth/authorize")
        def authorize():
            args = request.args
            if args.get("client_id") != self.client_id or args.get("redirect_uri") not in self.redirect_uris:
                abort(400)  # GitHub shows "redirect_uri mismatch" and never redirects
            state = args.get("state", "")
            if self.deny:
                return redirect(args["redirect_uri"] + "?" + urlencode(
                    {"error": "access_denied", "error_description": "The user has denied your application access.",
                     "state": state}))
            if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
                abort(400)
            code = secrets.token_hex(10)
            self.codes[code] = {"challenge": args["code_challenge"], "account": self.account,
                                "redirect_uri": args["redirect_uri"]}
            return redirect(args["redirect_uri"] + "?" + urlencode({"code": code, "state": state}))

        @app.post("/login/oauth/access_token")
        def access_token():
            form = request.form
            client_id, client_secret = form.get("client_id"), form.get("client_secret")
            if request.authorization:
                client_id, client_secret = request.authorization.username, request.authorization.password
            grant = self.codes.pop(form.get("code", ""), None)
            if client_id != self.client_id or client_secret != self.client_secret:
                return jsonify(error="incorrect_client_credentials")
            if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
                return jsonify(error="bad_verification_code")
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if digest != grant["challenge"]:
                return jsonify(error="bad_verification_code")
            token = "gho_" + secrets.token_hex(18)
            self.tokens[token] = grant["account"]
            return jsonify(access_token=token, token_type="bearer", scope="read:user,user:email")

        def account():
            if self.api_down:
                abort(502)
            header = request.headers.get("Authorization", "")
            found = self.tokens.get(header.split(" ", 1)[-1])
            if not found:
                abort(401)
            return found

        @app.get("/user")
        def user():
            found = account()
            return jsonify(id=found["id"], login=found["login"], name=found["name"], type="User")

        @app.get("/user/emails")
        def emails():
            return jsonify(account()["emails"])

        @app.get("/user/orgs")
        def orgs():
            account()
            return jsonify([{"login": login, "id": n} for n, login in enumerate(self.orgs)])

        @app.get("/user/teams")
        def teams():
            account()
            return jsonify([{"slug": slug, "name": slug, "organization": {"login": org}} for org, slug in self.teams])

        return app


class TokenProxy(ThreadServer):
    """In front of the upstream IdP's /token: passes through, or returns a tampered ID token."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.mode = "pass"  # pass | down | wrong_aud | bad_signature | expired | wrong_nonce
        super().__init__(self.build())

    def build(self) -> Flask:
        app = Flask("token-proxy")

        @app.post("/token")
        def token():
            if self.mode == "down":
                return "upstream busy", 503
            headers = {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "content-type")}
            answer = requests.post(self.upstream.endpoint("/token"), data=request.get_data(), headers=headers,
                                   timeout=5)
            body = answer.json()
            if "id_token" in body and self.mode != "pass":
                body["id_token"] = self.tamper(body["id_token"])
            return jsonify(body), answer.status_code

        return app

    def tamper(self, id_token: str) -> str:
        claims = json.loads(base64.urlsafe_b64decode(id_token.split(".")[1] + "=="))
        if self.mode == "wrong_aud":
            claims["aud"] = ["someone-else"]
            claims["azp"] = "someone-else"
        elif self.mode == "expired":
            claims["iat"], claims["exp"] = int(time.time()) - 7200, int(time.time()) - 3600
        elif self.mode == "wrong_nonce":
            claims["nonce"] = "not-the-nonce"
        elif self.mode == "bad_signature":  # the upstream's kid, another key: the signature cannot verify
            kid, _ = self.upstream.services.keys.signing_key("RS256")
            return jwt.encode({"alg": "RS256", "kid": kid, "typ": "JWT"}, claims, RSAKey.generate_key(2048))
        return self.upstream.services.keys.sign(claims, typ="JWT")  # the upstream's real key


def unverified_claims(token: str) -> dict:
    return json.loads(jws.extract_compact(token.encode()).payload)
