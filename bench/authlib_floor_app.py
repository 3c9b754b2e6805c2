"""The floor under the IdP's /token, /introspect and code flow: Flask + authlib's
AuthorizationServer with nothing behind them (one client in memory, a constant token, no
signing, no storage, no hooks). The code flow's floor is authlib's authorization_code grant
with PKCE S256, codes in a dict and one constant user instead of a browser session.

Not part of run.py: a reference for how much of a token or introspection request is the stack
itself. Measured like the bare-Flask baseline (see bench/README.md, "The stack's floor").
"""

import hmac

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import Flask

CLIENT_ID, CLIENT_SECRET = "floor-client", "floor-secret-0123456789"
REDIRECT_URI = "http://127.0.0.1:8080/callback"  # bench/codeflow.py's


class Client(ClientMixin):
    client_id = CLIENT_ID

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        return scope or ""

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri == REDIRECT_URI

    def check_client_secret(self, client_secret):
        return hmac.compare_digest(client_secret, CLIENT_SECRET)

    def check_endpoint_auth_method(self, method, endpoint):
        return method == "client_secret_basic"

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type in ("client_credentials", "authorization_code")


class Token(dict):
    def is_expired(self):
        return False

    def is_revoked(self):
        return False


class Introspection(IntrospectionEndpoint):
    def query_token(self, token, token_type_hint):
        return Token(sub="user", scope="openid")

    def check_permission(self, token, client, request):
        return True

    def introspect_token(self, token):
        return {"active": True, **token}


class User:
    id = "floor-user"

    def get_user_id(self):
        return self.id


class Code:
    def __init__(self, redirect_uri, scope, code_challenge, code_challenge_method):
        self.redirect_uri, self.scope = redirect_uri, scope
        self.code_challenge, self.code_challenge_method = code_challenge, code_challenge_method

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope


class AuthorizationCode(grants.AuthorizationCodeGrant):
    codes: dict = {}

    def save_authorization_code(self, code, request):
        data = request.payload.data
        self.codes[code] = Code(redirect_uri=data.get("redirect_uri"), scope=request.scope,
                                code_challenge=data.get("code_challenge"),
                                code_challenge_method=data.get("code_challenge_method"))

    def query_authorization_code(self, code, client):
        return self.codes.pop(code, None)

    def delete_authorization_code(self, authorization_code):
        pass

    def authenticate_user(self, authorization_code):
        return USER


CLIENT, USER = Client(), User()
app = Flask(__name__)
server = AuthorizationServer(app, query_client=lambda client_id: CLIENT if client_id == CLIENT_ID else None,
                             save_token=lambda token, request: None)


def constant_token(grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True):
    """Tokens of about the IdP's sizes, not signed; the code flow's response has an ID token too."""
    token = {"access_token": "x" * 700, "token_type": "Bearer", "expires_in": 900}
    if grant_type == "authorization_code":
        token["id_token"] = "y" * 800
    return token


server.register_token_generator("default", constant_token)
server.register_grant(grants.ClientCredentialsGrant)
server.register_grant(AuthorizationCode, [CodeChallenge(required=True)])
server.register_endpoint(Introspection)


@app.post("/token")
def token():
    return server.create_token_response()


@app.get("/health")
def health():
    return {"status": "ok"}


@app.get("/authorize")
def authorize():
    grant = server.get_consent_grant(end_user=USER)  # validation, as the IdP's authorize step 2
    return server.create_authorization_response(grant_user=USER, grant=grant)


@app.post("/introspect")
def introspect():
    return server.create_endpoint_response("introspection")
