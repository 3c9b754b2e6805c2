"""The JSON Web Key Set (RFC 7517 section 5): public keys only, cacheable, 304 on If-None-Match."""

from ...context import services
from .cacheable import cacheable


def jwks():
    keys = services().keys
    body, etag = keys.jwks()
    return cacheable(body, etag, keys.jwks_max_age, "application/jwk-set+json")
