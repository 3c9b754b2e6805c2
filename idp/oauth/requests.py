"""The two shapes an OAuth request takes here: a live Flask request whose payload is read once,
and an authorization request rebuilt from parameters kept server-side (interactions, PAR,
end-session). Its own module so endpoints can build one without importing the server that
registers them."""

from __future__ import annotations

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
