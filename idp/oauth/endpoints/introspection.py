"""Routes of RFC 7662 and RFC 7009 endpoints; their logic is in introspect.py and revoke.py."""

from ...context import oauth_server


def introspect():
    return oauth_server().create_endpoint_response("introspection")


def revoke():
    return oauth_server().create_endpoint_response("revocation")
