"""The token endpoint's client_credentials grant and introspection, driven before Flask's request cycle.

A resource server introspects on every API call and a service asks for a token on every start and
expiry, so these two requests set how many calls one core serves (issue 20). Flask's cycle around
them (request and response objects, routing, a dozen hooks, the form parser, the context-local
proxies authlib reads through) cost as much as the protocol work itself. This WSGI layer builds
the authlib request from the environ and hands it to the same authorization server, grants and
endpoints (authlib stays the protocol engine; oauth/grants and oauth/endpoints are unchanged), in
an application context so `services()` and `g` work as in a view.

It answers only the plain case, and only when the answer is a success:

1. POST /token with grant_type=client_credentials, or POST /introspect;
2. an urlencoded body of a known, small length, no query string, no parameter repeated (but
   `resource`, RFC 8707 2), no client assertion, no DPoP proof, no CORS Origin;
3. none of the caller's /token failure budgets spent (plumbing/ratelimit.TokenBudgets);
4. authlib's answer is a 200: the body and the headers the app would have added (security
   headers, no-store, X-Request-ID, DPoP-Nonce when nonces are required), and the same metrics.

Anything else, an error answer or an exception included, goes on to the Flask views with the
body as it came, and is answered exactly as before: errors, 429s and 503s keep one code path.
Both requests are free of side effects until they succeed (a refused token request issues
nothing; introspection only reads), so running a refused one again in Flask changes nothing.
"""

from __future__ import annotations

import io
import time
from urllib.parse import parse_qsl

from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from werkzeug.datastructures import EnvironHeaders

from idp.observability.logs import REQUEST_ID_HEADER, request_id_for
from idp.observability.metrics import observe_request
from idp.oauth.repeated import REPEATABLE
from idp.plumbing.headers import security_headers

PATHS = {"/token": "token", "/introspect": "introspection"}
MAX_BODY = 8 * 1024  # a client_credentials or introspection request is a few hundred bytes
FORM = "application/x-www-form-urlencoded"
NOT_HERE = ("client_assertion", "client_assertion_type")  # private_key_jwt reads the Flask request


class FormPayload(BasicOAuth2Payload):
    """The parsed body: first values for authlib's `data`, every value for `datalist`."""

    def __init__(self, data: dict, datalist: dict):
        self._data, self._datalist = data, datalist


class DirectRequest(OAuth2Request):
    def __init__(self, uri: str, environ: dict, data: dict, datalist: dict):
        super().__init__("POST", uri, headers=EnvironHeaders(environ))
        self.payload = FormPayload(data, datalist)
        self._form = data

    @property
    def form(self):
        return self._form

    @property
    def args(self):
        return {}


def plain_form(environ: dict) -> tuple[bytes, dict, dict] | None:
    """(body, data, datalist) of a plain urlencoded POST this layer may answer, or None."""
    if environ.get("QUERY_STRING") or environ.get("HTTP_DPOP") is not None or environ.get("HTTP_ORIGIN") is not None:
        return None
    content_type = (environ.get("CONTENT_TYPE") or "").split(";", 1)
    if content_type[0].strip().lower() != FORM or (len(content_type) > 1 and "charset" in content_type[1].lower()
                                                    and "utf-8" not in content_type[1].lower()):
        return None
    length = environ.get("CONTENT_LENGTH") or ""
    if not length.isascii() or not length.isdigit() or int(length) > MAX_BODY:
        return None
    body = environ["wsgi.input"].read(int(length))
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return body, {}, {}  # not ours: the form parser's answer stands
    data, datalist = {}, {}
    for name, value in pairs:
        if name in data:
            if name not in REPEATABLE:
                return body, {}, {}  # invalid_request (RFC 6749 3.2) from the view
            datalist[name].append(value)
        else:
            data[name], datalist[name] = value, [value]
    return body, data, datalist


class DirectLane:
    def __init__(self, app, flask_app, services, metrics: bool):
        self.app, self.flask_app, self.services, self.metrics = app, flask_app, services, metrics
        self.always = security_headers(services.config)

    def __call__(self, environ, start_response):
        name = PATHS.get(environ.get("PATH_INFO"))
        if name is None or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        started = time.perf_counter()
        form = plain_form(environ)
        if form is None:
            return self.app(environ, start_response)
        body, data, datalist = form
        answer = None
        if data and not any(field in data for field in NOT_HERE) and (
                name == "introspection" or data.get("grant_type") == "client_credentials"):
            try:
                answer = self.answer(name, environ, data, datalist)
            except Exception:  # noqa: BLE001 - the views answer it (503 on an outage, 500 otherwise) and log it
                answer = None
        if answer is None:
            environ["wsgi.input"] = io.BytesIO(body)
            return self.app(environ, start_response)
        payload, headers = answer
        start_response("200 OK", headers)
        if self.metrics:
            observe_request("POST", 200, environ["PATH_INFO"], time.perf_counter() - started)
        return [payload]

    def answer(self, name: str, environ: dict, data: dict, datalist: dict) -> tuple[bytes, list] | None:
        """authlib's 200 answer to this request with the app's headers, or None."""
        flask_app = self.flask_app
        budgets = flask_app.extensions.get("idp_token_budgets")
        if name == "token" and budgets is not None:
            keyed = budgets.keyed(environ.get("REMOTE_ADDR"), environ.get("HTTP_AUTHORIZATION"), data.get("client_id"))
            if budgets.retry_after(keyed) is not None:
                return None  # the view answers 429
        server = flask_app.extensions["idp_oauth"][0]
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        uri = f"{environ.get('wsgi.url_scheme', 'http')}://{host}{environ.get('SCRIPT_NAME', '')}{environ['PATH_INFO']}"
        request_id = request_id_for(environ.get("HTTP_X_REQUEST_ID"))
        with flask_app.app_context() as context:
            context.g.request_id, context.g.dpop_jkt = request_id, None
            oauth_request = DirectRequest(uri, environ, data, datalist)
            if name == "token":
                response = server.create_token_response(oauth_request)
            else:
                response = server.create_endpoint_response(name, oauth_request)
            if response.status_code != 200:
                return None
            if name == "token" and server.dpop.require_nonce:
                response.headers["DPoP-Nonce"] = server.dpop.current_nonce()
        headers = response.headers
        for header, value in self.always:
            headers.setdefault(header, value)
        headers[REQUEST_ID_HEADER] = request_id
        payload = response.get_data()
        headers["Content-Length"] = str(len(payload))
        return payload, headers.to_wsgi_list()
