"""The token endpoint (RFC 6749 section 3.2): authlib picks the grant by grant_type,
authenticates the client and answers with no-store; each grant lives in oauth/grants/."""

from ...context import oauth_server


def token():
    return oauth_server().create_token_response()
