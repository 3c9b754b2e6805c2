"""authlib wiring, in one place: the authorization server, its grants and endpoints,
and the resource protector that guards userinfo."""

from __future__ import annotations

import hmac

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Request
from authlib.oauth2.rfc6749 import InvalidScopeError, OAuth2Request
from authlib.oauth2.rfc6750 import BearerTokenValidator, InvalidTokenError
from flask import request as flask_request

from idp.oauth import client_auth, error_text
from idp.oauth.dpop import DPoPResourceError, DPoPVerifier, InvalidDPoPProofError, UseDPoPNonceError
from idp.oauth.endpoints.client_configuration import ClientConfigurationEndpoint
from idp.oauth.endpoints.device_authorization import DeviceAuthorizationEndpoint
from idp.oauth.endpoints.end_session import EndSessionEndpoint
from idp.oauth.endpoints.introspect import IntrospectionEndpoint
from idp.oauth.endpoints.register import ClientRegistrationEndpoint
from idp.oauth.endpoints.revoke import RevocationEndpoint
from idp.oauth.grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    DeviceCodeGrant,
    RefreshTokenGrant,
    TokenExchangeGrant,
)
from idp.oauth.grants.authorization_code import IdToken, S256CodeChallenge
from idp.oauth.grants.device_code import DeviceIdToken
from idp.oauth.jar import SignedRequestObject
from idp.oauth.requests import RequestPayload
from idp.oauth.resources import ApiResources
from idp.oauth.scopes import SCOPES_SUPPORTED, all_known, understood_scope


class LiveRequest(FlaskOAuth2Request):
    """authlib's Flask request, over the request object itself rather than the context-local proxy
    (authlib reads the payload tens of times per request, each read a context-variable lookup),
    with its payload read once (RequestPayload), and its uri without the query string: werkzeug's
    `request.url` converts the whole query to an IRI, a third of an authorization request's CPU,
    and authlib reads only the scheme, host and path of it (the transport check, RFC 7592's path)."""

    def __init__(self, request):
        OAuth2Request.__init__(self, request.method, f"{request.scheme}://{request.host}{request.root_path}{request.path}",
                               headers=request.headers)
        self._request = request
        self.payload = RequestPayload(request)


class IdPAuthorizationServer(AuthorizationServer):
    def create_oauth2_request(self, request):
        if isinstance(request, OAuth2Request):
            return request
        return LiveRequest(flask_request._get_current_object())

    def validate_requested_scope(self, scope):
        """Unknown values of an OpenID request are ignored, not refused (OIDC Core 3.1.2.1); a scope
        neither we nor a registered API define is invalid_scope (RFC 6749 3.3). Which API scopes a
        request may have is decided with its resources (oauth/resources.py)."""
        scope = understood_scope(scope)
        if scope and not all_known(scope.split()):
            raise InvalidScopeError()

    def handle_response(self, status_code, payload, headers):
        response = super().handle_response(status_code, payload, headers)
        if "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response


class JWTAccessTokenValidator(BearerTokenValidator):
    def __init__(self, tokens):
        super().__init__()
        self.tokens = tokens

    def authenticate_token(self, token_string):
        return self.tokens.validate_access_token(token_string)

    def validate_token(self, token, scopes, request):
        super().validate_token(token, scopes, request)
        if token.claims.get("cnf"):
            # RFC 9449 7.2: a DPoP-bound token sent as a bearer token is refused
            raise InvalidTokenError(description="This access token is DPoP-bound: use the DPoP scheme with a proof.")


class DPoPAccessTokenValidator(JWTAccessTokenValidator):
    """`Authorization: DPoP <token>` plus a proof of the token's key (RFC 9449 7.1)."""

    TOKEN_TYPE = "dpop"

    def __init__(self, tokens, verifier):
        super().__init__(tokens)
        self.verifier = verifier

    def validate_token(self, token, scopes, request):
        try:
            BearerTokenValidator.validate_token(self, token, scopes, request)
        except InvalidTokenError as error:
            raise DPoPResourceError("invalid_token", error.get_error_description()) from None
        jkt = (token.claims.get("cnf") or {}).get("jkt")
        if not jkt:
            raise DPoPResourceError("invalid_token", "This access token is not DPoP-bound: use the Bearer scheme.")
        from idp.oauth.endpoints.token import dpop_key_of_request

        try:
            proof_jkt = dpop_key_of_request(access_token=token.raw)
        except UseDPoPNonceError as error:
            raise DPoPResourceError("use_dpop_nonce", error.description, error.nonce) from None
        except InvalidDPoPProofError as error:
            raise DPoPResourceError("invalid_dpop_proof", error.description) from None
        if proof_jkt is None:
            raise DPoPResourceError("invalid_dpop_proof", "A DPoP proof is required.")
        if not hmac.compare_digest(proof_jkt, jkt):
            raise DPoPResourceError("invalid_dpop_proof", "The DPoP proof is from another key than the token's.")


class BearerProtector(ResourceProtector):
    def parse_request_authorization(self, request):
        """Also accept the form-encoded body parameter (RFC 6750 2.2), for POST userinfo."""
        if not request.headers.get("Authorization") and flask_request.method == "POST":
            value = flask_request.form.get("access_token")
            if value:
                return self.get_token_validator("bearer"), value
        return super().parse_request_authorization(request)


def build_server(app, services) -> tuple[IdPAuthorizationServer, BearerProtector]:
    error_text.install()  # OAuth errors that quote a request keep to RFC 6749's charset, never a 500
    server = IdPAuthorizationServer()
    server.init_app(app, query_client=services.clients.get, save_token=lambda token, request: None)
    server.scopes_supported = SCOPES_SUPPORTED
    client_keys = client_auth.ClientKeys()
    client_auth.register(server, client_keys)
    server.jar = SignedRequestObject(client_keys)  # called by the authorize and PAR endpoints (see jar.py)
    config = services.config
    server.dpop = DPoPVerifier(services.store, config.session_secret, config.dpop_iat_window, config.dpop_require_nonce)
    server.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(), IdToken(), ApiResources()])
    server.register_grant(RefreshTokenGrant)
    server.register_grant(ClientCredentialsGrant)
    server.register_grant(DeviceCodeGrant, [DeviceIdToken()])
    server.register_grant(TokenExchangeGrant)  # RFC 8693; the Flask /token view only (oauth/direct.py declines it)
    server.register_endpoint(IntrospectionEndpoint)
    server.register_endpoint(RevocationEndpoint)
    server.register_endpoint(EndSessionEndpoint)
    server.register_endpoint(DeviceAuthorizationEndpoint)
    server.register_endpoint(ClientRegistrationEndpoint)
    server.register_endpoint(ClientConfigurationEndpoint)
    protector = BearerProtector()
    protector.register_token_validator(JWTAccessTokenValidator(services.tokens))
    protector.register_token_validator(DPoPAccessTokenValidator(services.tokens, server.dpop))
    return server, protector
