"""Pre-serialized documents with a strong ETag: 304 on If-None-Match (RFC 9110 13.1.2)."""

from flask import Response, request

from idp.plumbing.cors import PUBLIC_DOCUMENT_HEADERS


def cacheable(body: bytes, etag: str, max_age: int, content_type: str) -> Response:
    response = Response(body, content_type=content_type)
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers.extend(PUBLIC_DOCUMENT_HEADERS)
    return response.make_conditional(request)
