"""The JSON Web Key Set (RFC 7517 section 5): public keys only, cacheable, 304 on If-None-Match."""

from idp.oauth.endpoints.cacheable import cacheable
from idp.plumbing.context import services


def published(svc) -> tuple[bytes, str, int, str]:
    """Body, ETag, max-age and content type (also served before Flask: oauth/published.py)."""
    body, etag = svc.keys.jwks()
    return body, etag, svc.keys.jwks_max_age, "application/jwk-set+json"


def jwks():
    return cacheable(*published(services()))
