"""The JSON Web Key Set (RFC 7517 section 5): public keys only, cacheable, 304 on If-None-Match."""

from flask import Response, request

from ...context import services


def jwks():
    keys = services().keys
    body, etag = keys.jwks()
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={keys.jwks_max_age}"}
    if etag in request.if_none_match:
        return Response(status=304, headers=headers)
    return Response(body, content_type="application/jwk-set+json", headers=headers)
