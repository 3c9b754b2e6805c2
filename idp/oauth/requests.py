"""The two shapes an OAuth request takes here: a live Flask request whose payload is read once,
and an authorization request rebuilt from parameters kept server-side (interactions, PAR,
end-session). Its own module so endpoints can build one without importing the server that
registers them."""

from __future__ import annotations

import json
from functools import cached_property

from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload
from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload


class RequestPayload(FlaskOAuth2Payload):
    """authlib's Flask payload with `data` looked up once: authlib reads it tens of times per request."""

    @cached_property
    def data(self):
        return self._request.values


class StoredAuthorizationRequest(OAuth2Request):
    """An authorization request rebuilt from parameters kept across login and consent."""

    def __init__(self, uri: str, params: dict):
        super().__init__("GET", uri, headers={})
        self.payload = BasicOAuth2Payload(params)

    @property
    def args(self):
        return self.payload.data

    @property
    def form(self):
        return {}


# The authorization request's parameters this server defines; any other is ignored (OIDC Core
# 3.1.2.1: "parameters that are not understood MUST be ignored") and never stored, so an anonymous
# visitor cannot park arbitrary data in an interaction or a pushed request (issue 30, part 3).
AUTHORIZATION_PARAMETERS = frozenset({
    "response_type", "client_id", "redirect_uri", "scope", "state",  # RFC 6749 4.1.1
    "response_mode",  # OAuth 2.0 Multiple Response Type Encoding Practices 2.1, Form Post Response Mode
    "nonce", "display", "prompt", "max_age", "ui_locales", "claims_locales",  # OIDC Core 3.1.2.1
    "id_token_hint", "login_hint", "acr_values",  # OIDC Core 3.1.2.1
    "claims",  # OIDC Core 5.5
    "request", "request_uri",  # RFC 9101 (request objects), RFC 9126 (PAR): expanded before anything is stored
    "code_challenge", "code_challenge_method",  # RFC 7636 4.3
    "resource",  # RFC 8707 2
    "dpop_jkt",  # RFC 9449 10
    "organization",  # the organization signed in to (issue 33; Auth0's SDKs send it), idp/organizations/signin.py
})
# What one waiting request may hold, as stored (JSON, UTF-8): the longest legitimate one (an 8 KB
# claims request, an ID token as hint, a 2 KB state) fits with room to spare.
MAX_STORED_REQUEST_BYTES = 16 * 1024


def defined_parameters(data) -> dict:
    """The defined authorization parameters of `data` (a dict or a MultiDict: first value of each)."""
    return {name: value for name, value in data.items() if name in AUTHORIZATION_PARAMETERS}


def too_large(params: dict) -> bool:
    """More than one waiting request may keep (measured as stored): refused with invalid_request."""
    return len(json.dumps(params).encode()) > MAX_STORED_REQUEST_BYTES
