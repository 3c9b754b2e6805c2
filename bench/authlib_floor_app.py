"""The floor under the IdP's /token and /introspect: Flask + authlib's AuthorizationServer with
nothing behind them (one client in memory, a constant token, no signing, no storage, no hooks).

Not part of run.py: a reference for how much of a token or introspection request is the stack
itself. Measured like the bare-Flask baseline (see bench/README.md, "The stack's floor").
"""

import hmac

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import Flask

CLIENT_ID, CLIENT_SECRET = "floor-client", "floor-secret-0123456789"


class Client(ClientMixin):
    client_id = CLIENT_ID

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        return scope or ""

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, client_secret):
        return hmac.compare_digest(client_secret, CLIENT_SECRET)

    def check_endpoint_auth_method(self, method, endpoint):
        return method == "client_secret_basic"

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return grant_type == "client_credentials"


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


CLIENT = Client()
app = Flask(__name__)
server = AuthorizationServer(app, query_client=lambda client_id: CLIENT if client_id == CLIENT_ID else None,
                             save_token=lambda token, request: None)
server.register_token_generator("default", lambda *args, **kwargs: {
    "access_token": "x" * 700, "token_type": "Bearer", "expires_in": 900})
server.register_grant(grants.ClientCredentialsGrant)
server.register_endpoint(Introspection)


@app.post("/token")
def token():
    return server.create_token_response()


@app.post("/introspect")
def introspect():
    return server.create_endpoint_response("introspection")
