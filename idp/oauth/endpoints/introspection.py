"""Routes of RFC 7662 and RFC 7009 endpoints; their logic is in introspect.py and revoke.py.
A parameter sent twice is invalid_request before anything else (RFC 6749 3.2)."""

from authlib.oauth2.base import OAuth2Error

from idp.oauth.repeated import refuse_repeated_parameters
from idp.plumbing.context import oauth_server


def endpoint_response(name: str):
    server = oauth_server()
    try:
        refuse_repeated_parameters()
    except OAuth2Error as error:
        return server.handle_error_response(None, error)
    return server.create_endpoint_response(name)


def introspect():
    return endpoint_response("introspection")


def revoke():
    return endpoint_response("revocation")
