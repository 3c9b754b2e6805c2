"""Pushed and signed authorization requests cannot be burnt by another client or replayed:
RFC 9126 4 (a request_uri is the pushing client's: another client's attempt consumes nothing) and
RFC 9101 10.8 / RFC 9700 (a signed request object works once within its lifetime)."""

from __future__ import annotations

from urllib.parse import urlencode

from ..conftest import Browser
from ..test_par_jar import authorization_params, finish, push


def test_request_uri_presented_by_another_client_is_not_consumed_rfc9126_4(idp, browser, client, user):
    other, _ = idp.create_client()
    rp, meta, params, verifier, nonce = authorization_params(idp, client)
    request_uri = push(idp, client, params).json()["request_uri"]
    stolen = Browser(idp).go(meta["authorization_endpoint"] + "?" + urlencode(
        {"client_id": other.client_id, "request_uri": request_uri}))
    assert stolen.status_code == 400 and "Location" not in stolen.headers
    assert "invalid_request_uri" in stolen.text
    no_client = Browser(idp).go(meta["authorization_endpoint"] + "?" + urlencode({"request_uri": request_uri}))
    assert no_client.status_code == 400 and "Location" not in no_client.headers
    # The pushing client still completes its flow with the same request_uri.
    url = meta["authorization_endpoint"] + "?" + urlencode({"client_id": client.client_id, "request_uri": request_uri})
    assert finish(idp, browser, user, rp, meta, url, verifier, nonce, client)["state"] == params["state"]
