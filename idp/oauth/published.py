"""Discovery and the JWKS, answered before Flask: the same bytes for every caller until the keys change.

Relying parties and resource servers fetch these at start-up and on every key-cache miss. The
Flask request cycle around them (contexts, eight hooks, routing, header objects) cost two thirds
of such a request, so this WSGI layer answers them directly from the same builders as the
views (`discovery.published`, `jwks.published`) with the headers the app would have added:
security headers, CORS for any origin (cors.py), X-Request-ID, ETag and Cache-Control, 304 on
a matching If-None-Match (RFC 9110 section 13.1.2, weak comparison), HEAD without a body, and
the same metrics.
Anything else (another method, an error while reading the keys) goes on to the Flask views,
which answer it as they answer any request.
"""

from __future__ import annotations

import time

from werkzeug.http import parse_etags

from idp.oauth.endpoints import discovery, jwks
from idp.observability.logs import REQUEST_ID_HEADER, request_id_for
from idp.observability.metrics import observe_request
from idp.plumbing.cors import PUBLIC_DOCUMENT_HEADERS
from idp.plumbing.headers import security_headers

DOCUMENTS = {
    "/.well-known/openid-configuration": discovery.published,
    "/.well-known/oauth-authorization-server": discovery.published,
    "/jwks.json": jwks.published,
}


class PublishedDocuments:
    def __init__(self, app, services, metrics: bool):
        self.app, self.services, self.metrics = app, services, metrics
        self.always = [*security_headers(services.config), *PUBLIC_DOCUMENT_HEADERS]
        self._heads: dict[tuple, list] = {}

    def __call__(self, environ, start_response):
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        build = DOCUMENTS.get(path)
        if build is None or method not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        started = time.perf_counter()
        try:
            body, etag, max_age, content_type = build(self.services)
        except Exception:
            return self.app(environ, start_response)

        request_id = (REQUEST_ID_HEADER, request_id_for(environ.get("HTTP_X_REQUEST_ID")))
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and parse_etags(if_none_match).contains_weak(etag):
            status, body = 304, b""
            start_response("304 Not Modified", [*self.heads(etag, max_age), request_id])
        else:
            status = 200
            start_response("200 OK", [*self.heads(etag, max_age, content_type, len(body)), request_id])
        if self.metrics:
            observe_request(method, status, path, time.perf_counter() - started)
        return [b"" if method == "HEAD" else body]

    def heads(self, etag: str, max_age: int, content_type: str | None = None, length: int = 0) -> list:
        """The headers of one version of a document, made once: these answers are a few microseconds
        of Python, and building the list was a visible share of them."""
        key = (etag, max_age, content_type, length)
        heads = self._heads.get(key)
        if heads is None:
            if len(self._heads) > 64:  # a few documents, a version per key rotation
                self._heads = {}
            heads = [("ETag", f'"{etag}"'), ("Cache-Control", f"public, max-age={max_age}"), *self.always]
            if content_type is not None:
                heads += [("Content-Type", content_type), ("Content-Length", str(length))]
            self._heads[key] = heads
        return heads
