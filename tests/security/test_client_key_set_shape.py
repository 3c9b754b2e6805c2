"""Issue 30 fuzz finding: client metadata whose `jwks` is a JSON object but not a JWK Set (no
`keys` array, or keys that are not objects) reached the key library and came back as a KeyError,
a 500 with a traceback. The shared client policy (idp/administration/client_policy.py) refuses it
as invalid metadata (RFC 7591 2: jwks is a JWK Set, RFC 7517 5), at every entry: dynamic
registration (RFC 7591 3.2.2), its management PUT (RFC 7592 2.2) and the admin API."""

from __future__ import annotations

import pytest
import requests

from ..admin_api import admin_session
from ..conftest import REDIRECT_URI
from .fuzz import check_response

NOT_KEY_SETS = {"empty": {}, "keys_object": {"keys": {}}, "keys_numbers": {"keys": [1]},
                "keys_strings": {"keys": ["k"]}, "key_without_kty": {"keys": [{}]},
                "unknown_kty": {"keys": [{"kty": "zz"}]}}


def registered(idp) -> dict:
    token = idp.services.initial_access_tokens.create(600, uses=1)
    response = requests.post(idp.endpoint("/connect/register"), json={"redirect_uris": [REDIRECT_URI]},
                             headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize("jwks", list(NOT_KEY_SETS.values()), ids=list(NOT_KEY_SETS))
def test_registration_refuses_a_jwks_that_is_not_a_key_set_rfc7591_3_2_2(idp, jwks):
    token = idp.services.initial_access_tokens.create(600, uses=1)
    response = requests.post(idp.endpoint("/connect/register"), json={"redirect_uris": [REDIRECT_URI], "jwks": jwks},
                             headers={"Authorization": f"Bearer {token}"}, timeout=10)
    check_response(response)
    assert response.status_code == 400 and response.json()["error"] == "invalid_client_metadata", response.text
    assert idp.services.initial_access_tokens.valid(token)  # a refused registration spends no use


@pytest.mark.parametrize("jwks", list(NOT_KEY_SETS.values()), ids=list(NOT_KEY_SETS))
def test_management_put_refuses_a_jwks_that_is_not_a_key_set_rfc7592_2_2(idp, jwks):
    client = registered(idp)
    response = requests.put(client["registration_client_uri"], timeout=10,
                            json={"client_id": client["client_id"], "redirect_uris": [REDIRECT_URI], "jwks": jwks},
                            headers={"Authorization": f"Bearer {client['registration_access_token']}"})
    check_response(response)
    assert response.status_code == 400 and response.json()["error"] == "invalid_client_metadata", response.text


@pytest.mark.parametrize("jwks", list(NOT_KEY_SETS.values()), ids=list(NOT_KEY_SETS))
def test_admin_api_refuses_a_jwks_that_is_not_a_key_set_rfc9457(idp, jwks):
    admin = admin_session(idp)
    response = admin.post("/clients", json={"client_name": "Keys", "grant_types": ["client_credentials"],
                                            "token_endpoint_auth_method": "private_key_jwt", "jwks": jwks})
    check_response(response)
    assert response.status_code == 400 and response.headers["Content-Type"] == "application/problem+json", \
        response.text
