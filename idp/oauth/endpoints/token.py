"""The token endpoint (RFC 6749 section 3.2): authlib picks the grant by grant_type,
authenticates the client and answers with no-store; each grant lives in oauth/grants/.

Before that, a parameter sent twice is invalid_request (RFC 6749 3.2), and a DPoP proof (RFC 9449 5), when sent, is checked for this request
(POST to the token endpoint); its key's thumbprint binds the tokens the grant issues.
"""

from authlib.oauth2.base import OAuth2Error
from flask import g, request

from idp.oauth.repeated import refuse_repeated_parameters
from idp.plumbing.context import oauth_server, services


def token():
    server = oauth_server()
    try:
        refuse_repeated_parameters()  # RFC 6749 3.2
        g.dpop_jkt = dpop_key_of_request()
    except OAuth2Error as error:
        return server.handle_error_response(None, error)
    response = server.create_token_response()
    if server.dpop.require_nonce:
        response.headers["DPoP-Nonce"] = server.dpop.current_nonce()
    return response


def dpop_key_of_request(access_token: str | None = None) -> str | None:
    """The jkt of this request's DPoP proof; None without a DPoP header."""
    values = request.headers.getlist("DPoP")
    if not values:
        return None
    return oauth_server().dpop.verify(values, request.method, services().config.issuer + request.path, access_token)
