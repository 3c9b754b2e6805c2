"""Routes of the protocol surface. Forms here are OAuth requests, not CSRF-protected pages."""

from flask import Blueprint

from idp.oauth.endpoints.authorize import authorize
from idp.oauth.endpoints.client_configuration import client_configuration
from idp.oauth.endpoints.device_authorization import device_authorization
from idp.oauth.endpoints.discovery import discovery
from idp.oauth.endpoints.end_session import end_session
from idp.oauth.endpoints.introspection import introspect, revoke
from idp.oauth.endpoints.jwks import jwks
from idp.oauth.endpoints.par import pushed_authorization_request
from idp.oauth.endpoints.register import register
from idp.oauth.endpoints.token import token
from idp.oauth.endpoints.userinfo import userinfo

bp = Blueprint("oauth", __name__)
bp.add_url_rule("/.well-known/openid-configuration", view_func=discovery, methods=["GET"])
bp.add_url_rule("/.well-known/oauth-authorization-server", view_func=discovery, methods=["GET"],
                endpoint="oauth_metadata")
bp.add_url_rule("/jwks.json", view_func=jwks, methods=["GET"])
bp.add_url_rule("/authorize", view_func=authorize, methods=["GET", "POST"])
bp.add_url_rule("/token", view_func=token, methods=["POST"])
bp.add_url_rule("/userinfo", view_func=userinfo, methods=["GET", "POST"])
bp.add_url_rule("/introspect", view_func=introspect, methods=["POST"])
bp.add_url_rule("/revoke", view_func=revoke, methods=["POST"])
bp.add_url_rule("/end_session", view_func=end_session, methods=["GET", "POST"])
bp.add_url_rule("/device_authorization", view_func=device_authorization, methods=["POST"])
bp.add_url_rule("/connect/register", view_func=register, methods=["POST"])
bp.add_url_rule("/par", view_func=pushed_authorization_request, methods=["POST"])
bp.add_url_rule("/connect/register/<client_id>", view_func=client_configuration, methods=["GET", "PUT", "DELETE"])
