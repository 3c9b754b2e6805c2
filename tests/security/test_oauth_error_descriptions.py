"""Issue 30 fuzz finding: an OAuth error whose description quotes the request (a redirect URI, a
response_type or response_mode, a resource, a client metadata value) with a quote or a non-ASCII
letter in it was a 500 with a traceback: authlib refuses to build an error_description outside
RFC 6749's set (%x20-21 / %x23-5B / %x5D-7E). Every entry answers its own OAuth error instead,
with a description inside that set (idp/oauth/error_text.py)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from ..conftest import REDIRECT_URI
from .fuzz import check_response

OUTSIDE_RFC6749 = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")
QUOTING = {"redirect_uri": ['http://127.0.0.1:8080/"x', "http://127.0.0.1:8080/é"],
           "response_mode": ['"x', "é"], "response_type": ['"', "code é"],
           "resource": ['https://api.example/"', "https://api.example/é"]}
CASES = [(name, value) for name, values in QUOTING.items() for value in values]


def authorization_request(client) -> dict:
    return {"response_type": "code", "client_id": client.client_id, "redirect_uri": REDIRECT_URI, "scope": "openid",
            "state": "s", "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256"}


def error_of(response: requests.Response) -> tuple[str, str]:
    """(error, error_description) of a JSON error, a redirect to the client, or an error page."""
    check_response(response)
    if response.status_code in (302, 303):
        params = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}
        return params["error"], params.get("error_description", "")
    if response.headers["Content-Type"].startswith("application/json"):
        body = response.json()
        return body["error"], body.get("error_description", "")
    assert response.status_code == 400, response.status_code
    return "error page", ""


@pytest.mark.parametrize(("name", "value"), CASES)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_authorization_request_quoting_a_value_is_its_oauth_error_rfc6749_4_1_2_1(idp, client, method, name, value):
    params = authorization_request(client) | {name: value}
    response = requests.request(method, idp.endpoint("/authorize"), allow_redirects=False, timeout=10,
                                **({"params": params} if method == "GET" else {"data": params}))
    error, description = error_of(response)
    assert error in ("invalid_request", "unsupported_response_type", "invalid_target", "error page"), error
    assert not OUTSIDE_RFC6749.search(description), description


@pytest.mark.parametrize(("name", "value"), CASES)
def test_pushed_request_quoting_a_value_is_its_oauth_error_rfc9126_2_3(idp, client, name, value):
    response = requests.post(idp.endpoint("/par"), data=authorization_request(client) | {name: value}, timeout=10,
                             auth=(client.client_id, client.client_metadata["secret"]))
    assert response.status_code == 400, response.text
    error, description = error_of(response)
    assert error in ("invalid_request", "unsupported_response_type", "invalid_target"), error
    assert not OUTSIDE_RFC6749.search(description), description


@pytest.mark.parametrize("resource", QUOTING["resource"])
def test_token_request_for_a_quoting_resource_is_invalid_target_rfc8707_2(idp, resource):
    client, secret = idp.create_client(grant_types=["client_credentials"])
    response = requests.post(idp.endpoint("/token"), timeout=10, auth=(client.client_id, secret),
                             data={"grant_type": "client_credentials", "resource": resource})
    assert response.status_code == 400, response.text
    error, description = error_of(response)
    assert error == "invalid_target" and not OUTSIDE_RFC6749.search(description), (error, description)


@pytest.mark.parametrize("field", ["redirect_uris", "post_logout_redirect_uris"])
@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_registration_quoting_a_bad_uri_is_its_oauth_error_rfc7591_3_2_2_rfc7592_2_2(idp, method, field):
    token = idp.services.initial_access_tokens.create(600, uses=1)
    first = requests.post(idp.endpoint("/connect/register"), headers={"Authorization": f"Bearer {token}"},
                          json={"redirect_uris": [REDIRECT_URI]}, timeout=10).json()
    metadata = {"redirect_uris": [REDIRECT_URI], field: ['"é']}  # not a URI, quoted back in the error
    if method == "POST":
        token = idp.services.initial_access_tokens.create(600, uses=1)
        response = requests.post(idp.endpoint("/connect/register"), json=metadata, timeout=10,
                                 headers={"Authorization": f"Bearer {token}"})
    else:
        response = requests.put(first["registration_client_uri"], json={"client_id": first["client_id"], **metadata},
                                headers={"Authorization": f"Bearer {first['registration_access_token']}"}, timeout=10)
    assert response.status_code == 400, response.text
    error, description = error_of(response)
    assert error in ("invalid_redirect_uri", "invalid_client_metadata"), error
    assert not OUTSIDE_RFC6749.search(description), description
