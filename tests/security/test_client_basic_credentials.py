"""Issue 30 fuzz finding: an `Authorization: Basic` header whose credentials are not
`client_id:secret` in UTF-8 (RFC 7617 2) is a failed client authentication, 401 invalid_client
(RFC 6749 2.3.1 and 5.2), at every endpoint that authenticates clients, never a 500."""

from __future__ import annotations

import base64

import pytest
import requests

from .fuzz import check_response

ENDPOINTS = ["/token", "/introspect", "/revoke", "/par", "/device_authorization"]
NOT_CREDENTIALS = {
    "not_utf8": "Basic " + base64.b64encode(b"\xff:\xfe").decode(),
    "not_utf8_id": "Basic " + base64.b64encode(b"\xc3\x28:secret").decode(),
    "no_colon_not_utf8": "Basic " + base64.b64encode(b"\xe9t\xe9").decode(),
    "empty_after_scheme": "Basic ",
    "not_base64": "Basic !!!",
}


@pytest.mark.parametrize("header", list(NOT_CREDENTIALS.values()), ids=list(NOT_CREDENTIALS))
@pytest.mark.parametrize("path", ENDPOINTS)
def test_undecodable_basic_credentials_are_invalid_client_rfc6749_2_3_1(idp, client, path, header):
    data = {"grant_type": "client_credentials", "token": "x" * 40, "response_type": "code",
            "redirect_uri": "http://127.0.0.1:8080/callback", "scope": "openid"}
    for body in (data, {**data, "dpop_ignored": "1"}):  # the direct lane (plain form) and the Flask views
        response = requests.post(idp.endpoint(path), data=body, headers={"Authorization": header}, timeout=10)
        check_response(response)
        assert response.status_code == 401, (path, response.status_code, response.text)
        assert response.json()["error"] == "invalid_client"
