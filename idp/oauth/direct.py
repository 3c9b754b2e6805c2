"""The token endpoint's code, refresh and client_credentials grants, and introspection, driven
before Flask's request cycle.

A relying party redeems a code at every sign-in and a refresh token at every expiry, a service asks
for a token on every start, and a resource server introspects on every API call: these requests set
how many calls one core serves (issue 20). Flask's cycle around them (request and response objects,
routing, a dozen hooks, the form parser, the context-local proxies authlib reads through) cost as
much as the protocol work. This WSGI layer builds the authlib request from the environ and hands it
to the same authorization server, grants and endpoints (authlib stays the protocol engine;
oauth/grants and oauth/endpoints are unchanged), in an application context so that `services()`
and `g` work as in a view.

1. It takes POST /token with grant_type authorization_code, refresh_token, client_credentials or
   token exchange,
   and POST /introspect, when the request is plain: an urlencoded UTF-8 body of a known, small
   length, no query string, no parameter repeated (but `resource`, RFC 8707 2), no client
   assertion, no DPoP proof, no CORS Origin, and none of the caller's /token failure budgets spent.
   Anything else goes on to the Flask views untouched (body re-buffered): they answer 429s,
   repeated parameters, DPoP, private_key_jwt and CORS as before, before any side effect.
2. It answers what authlib answers, success or OAuth error, with the headers the app adds
   (security headers, no-store, X-Request-ID, DPoP-Nonce when nonces are required), spends the
   /token failure budgets on a refusal as the view's guard does, and counts the same metrics.
3. An exception (a database or Redis outage) is answered by the app's own error handlers, in a
   request context made for it: 503 temporarily_unavailable or 500, as from a view. A code is not
   redeemed twice: the request is never run again.
"""

from __future__ import annotations

import io
import time
from urllib.parse import parse_qsl

from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from flask import g
from werkzeug.datastructures import EnvironHeaders

from idp.observability.logs import REQUEST_ID_HEADER, request_id_for
from idp.observability.metrics import observe_request
from idp.oauth.repeated import REPEATABLE
from idp.plumbing.headers import security_headers

PATHS = {"/token": "token", "/introspect": "introspection"}
# The device grant polls: left to the view. A token exchange (RFC 8693) is a service's call on each
# request it serves for a user, as hot as client_credentials (issue 36); one that repeats `audience`
# (RFC 8693 2.1) is not plain here and goes to the view.
GRANTS = {"authorization_code", "refresh_token", "client_credentials",
          "urn:ietf:params:oauth:grant-type:token-exchange"}
MAX_BODY = 8 * 1024  # a client_credentials or introspection request is a few hundred bytes
FORM = "application/x-www-form-urlencoded"
NOT_HERE = ("client_assertion", "client_assertion_type")  # private_key_jwt, client_secret_jwt: read the Flask request


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
        self.app, self.flask_app, self.metrics = app, flask_app, metrics
        self.always = security_headers(services.config)

    @property
    def budgets(self):
        """/token's failure budgets (plumbing/ratelimit.TokenBudgets), installed after this layer."""
        return self.flask_app.extensions["idp_token_budgets"]

    def __call__(self, environ, start_response):
        name = PATHS.get(environ.get("PATH_INFO"))
        if name is None or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        started = time.perf_counter()
        form = plain_form(environ)
        if form is None:
            return self.app(environ, start_response)
        body, data, datalist = form
        keyed = self.taken(name, environ, data)
        if keyed is None:
            environ["wsgi.input"] = io.BytesIO(body)
            return self.app(environ, start_response)
        request_id = request_id_for(environ.get("HTTP_X_REQUEST_ID"))
        try:
            response = self.answer(name, environ, data, datalist, request_id)
        except Exception as exc:  # noqa: BLE001 - answered by the app's handlers, which log it
            environ["wsgi.input"] = io.BytesIO(body)
            response = self.failure(environ, exc, request_id)
        if keyed:
            self.budgets.spend(keyed, response)
        if self.metrics:
            observe_request("POST", response.status_code, environ["PATH_INFO"], time.perf_counter() - started)
        payload = response.get_data()
        headers = response.headers
        headers["Content-Length"] = str(len(payload))
        start_response(response.status, headers.to_wsgi_list())
        return [payload]

    def taken(self, name: str, environ: dict, data: dict) -> list | None:
        """None when the views answer this request; else the /token budgets to spend on a refusal."""
        if not data or any(field in data for field in NOT_HERE):
            return None
        if name != "token":
            return []
        if data.get("grant_type") not in GRANTS:
            return None
        keyed = self.budgets.keyed(environ.get("REMOTE_ADDR"), environ.get("HTTP_AUTHORIZATION"), data.get("client_id"))
        return None if self.budgets.retry_after(keyed) is not None else keyed  # spent: the view answers 429

    def answer(self, name: str, environ: dict, data: dict, datalist: dict, request_id: str):
        """authlib's answer to this request, with the headers the app adds to a view's."""
        flask_app = self.flask_app
        server = flask_app.extensions["idp_oauth"][0]
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        uri = f"{environ.get('wsgi.url_scheme', 'http')}://{host}{environ.get('SCRIPT_NAME', '')}{environ['PATH_INFO']}"
        with flask_app.app_context():
            g.request_id, g.remote_addr, g.dpop_jkt = request_id, environ.get("REMOTE_ADDR"), None  # as a view's
            oauth_request = DirectRequest(uri, environ, data, datalist)
            if name == "token":
                response = server.create_token_response(oauth_request)
                if server.dpop.require_nonce:
                    response.headers["DPoP-Nonce"] = server.dpop.current_nonce()
            else:
                response = server.create_endpoint_response(name, oauth_request)
        headers = response.headers
        for header, value in self.always:
            headers.setdefault(header, value)
        headers[REQUEST_ID_HEADER] = request_id
        return response

    def failure(self, environ: dict, exc: Exception, request_id: str):
        """The app's answer to an exception, as if a view had raised it (its handlers and hooks)."""
        flask_app = self.flask_app
        with flask_app.request_context(environ):
            g.request_id = request_id
            return flask_app.process_response(flask_app.make_response(flask_app.handle_user_exception(exc)))
