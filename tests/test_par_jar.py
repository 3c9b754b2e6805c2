"""Pushed Authorization Requests (RFC 9126) and signed request objects (RFC 9101), end to end:
authlib's client builds the request, the RP pushes or signs it, a user signs in, the code redeems."""

from __future__ import annotations

import dataclasses
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from joserfc import jwt
from joserfc.jwk import RSAKey

from .conftest import Browser, callback_params
from .test_code_flow import discover, relying_party, validate_id_token


@pytest.fixture(scope="module")
def rp_key():
    return RSAKey.generate_key(2048, private=True, parameters={"kid": "rp-sig"})


@pytest.fixture
def jar_client(idp, rp_key):
    client, secret = idp.create_client(metadata={"jwks": {"keys": [rp_key.as_dict(private=False)]}})
    return dataclasses.replace(client, client_metadata={**client.client_metadata, "secret": secret})


def authorization_params(idp, client, **extra):
    """What authlib's client would put in the authorization URL (with PKCE and a nonce)."""
    rp, meta = relying_party(idp, client)
    verifier, nonce = generate_token(48), generate_token(16)
    url, state = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce,
                                             **extra)
    return rp, meta, dict(parse_qsl(urlsplit(url).query)), verifier, nonce


def push(idp, client, params):
    return requests.post(discover(idp)["pushed_authorization_request_endpoint"], data=params, timeout=5,
                         auth=(client.client_id, client.client_metadata["secret"]))


def sign(key, claims):
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "oauth-authz-req+jwt"}, claims, key)


def finish(idp, browser, user, rp, meta, url, verifier, nonce, client):
    params = callback_params(browser.authorize(url, user.email))
    token = rp.fetch_token(meta["token_endpoint"], code=params["code"], code_verifier=verifier)
    validate_id_token(meta, token["id_token"], client.client_id, nonce)
    return params


def test_discovery_advertises_par_and_jar_rfc9126_5_rfc9101_9(idp):
    meta = discover(idp)
    assert meta["pushed_authorization_request_endpoint"] == idp.url + "/par"
    assert meta["require_pushed_authorization_requests"] is False
    assert meta["request_parameter_supported"] is True
    assert meta["request_uri_parameter_supported"] is False
    assert "none" not in meta["request_object_signing_alg_values_supported"]


def test_pushed_request_end_to_end_rfc9126_2_and_4(idp, browser, client, user):
    rp, meta, params, verifier, nonce = authorization_params(idp, client)
    response = push(idp, client, params)
    assert response.status_code == 201, response.text
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    assert body["expires_in"] == idp.services.config.par_ttl
    url = meta["authorization_endpoint"] + "?" + urlencode({"client_id": client.client_id,
                                                            "request_uri": body["request_uri"]})
    result = finish(idp, browser, user, rp, meta, url, verifier, nonce, client)
    assert result["state"] == params["state"]

    # One time (RFC 9126 4): the same request_uri again is refused, never redirected.
    again = Browser(idp).go(url)
    assert again.status_code == 400 and "Location" not in again.headers
    assert "invalid_request_uri" in again.text


# A request_uri presented by another client: tests/security/test_par_jar_replay.py (refused, and not consumed).


def test_expired_request_uri_is_refused_rfc9126_2_2(idp, client):
    original = idp.services.config
    idp.services.config = dataclasses.replace(original, par_ttl=1)
    try:
        _, meta, params, _, _ = authorization_params(idp, client)
        request_uri = push(idp, client, params).json()["request_uri"]
    finally:
        idp.services.config = original
    time.sleep(1.2)
    response = Browser(idp).go(meta["authorization_endpoint"] + "?" + urlencode(
        {"client_id": client.client_id, "request_uri": request_uri}))
    assert response.status_code == 400 and "invalid_request_uri" in response.text


def test_par_errors_are_json_never_redirects_rfc9126_2_3(idp, client):
    _, _, params, _, _ = authorization_params(idp, client)
    bad_redirect = push(idp, client, {**params, "redirect_uri": "https://attacker.example/cb"})
    assert bad_redirect.status_code == 400 and "Location" not in bad_redirect.headers
    assert bad_redirect.json()["error"] == "invalid_request"
    nested = push(idp, client, {**params, "request_uri": "urn:ietf:params:oauth:request_uri:x"})
    assert nested.status_code == 400 and nested.json()["error"] == "invalid_request"
    no_auth = requests.post(idp.endpoint("/par"), data=params, timeout=5)
    assert no_auth.status_code in (400, 401) and no_auth.json()["error"] == "invalid_client"
    plain = push(idp, client, {**params, "code_challenge_method": "plain"})
    assert plain.status_code == 400


def test_client_that_must_push_cannot_use_the_front_channel_rfc9126_6(idp, browser, user):
    client, secret = idp.create_client(metadata={"require_pushed_authorization_requests": True})
    client = dataclasses.replace(client, client_metadata={**client.client_metadata, "secret": secret})
    rp, meta, params, verifier, nonce = authorization_params(idp, client)
    direct = browser.go(meta["authorization_endpoint"] + "?" + urlencode(params))
    assert direct.status_code == 400 and "Location" not in direct.headers
    request_uri = push(idp, client, params).json()["request_uri"]
    url = meta["authorization_endpoint"] + "?" + urlencode({"client_id": client.client_id,
                                                            "request_uri": request_uri})
    finish(idp, browser, user, rp, meta, url, verifier, nonce, client)


def test_signed_request_object_by_value_rfc9101_5_1(idp, browser, jar_client, user, rp_key):
    rp, meta, params, verifier, nonce = authorization_params(idp, jar_client)
    request_object = sign(rp_key, {**params, "iss": jar_client.client_id, "aud": idp.url,
                                   "exp": int(time.time()) + 300})
    url = meta["authorization_endpoint"] + "?" + urlencode({"client_id": jar_client.client_id,
                                                            "request": request_object})
    assert finish(idp, browser, user, rp, meta, url, verifier, nonce, jar_client)["state"] == params["state"]


def test_request_object_inside_a_pushed_request_rfc9126_3(idp, browser, jar_client, user, rp_key):
    rp, meta, params, verifier, nonce = authorization_params(idp, jar_client)
    request_object = sign(rp_key, {**params, "iss": jar_client.client_id, "aud": idp.url})
    pushed = push(idp, jar_client, {"client_id": jar_client.client_id, "request": request_object})
    assert pushed.status_code == 201, pushed.text
    url = meta["authorization_endpoint"] + "?" + urlencode({"client_id": jar_client.client_id,
                                                            "request_uri": pushed.json()["request_uri"]})
    finish(idp, browser, user, rp, meta, url, verifier, nonce, jar_client)


def _unsigned(claims):
    import base64
    import json

    def b64(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return b64({"alg": "none"}) + "." + b64(claims) + "."


@pytest.mark.parametrize("case", ["other key", "unsigned", "client mismatch", "expired", "wrong audience"])
def test_bad_request_objects_are_refused_without_redirect_rfc9101_6(idp, jar_client, rp_key, case):
    _, meta, params, _, _ = authorization_params(idp, jar_client)
    claims = {**params, "iss": jar_client.client_id, "aud": idp.url}
    if case == "other key":
        request_object = sign(RSAKey.generate_key(2048, private=True, parameters={"kid": "rp-sig"}), claims)
    elif case == "unsigned":
        request_object = _unsigned(claims)
    elif case == "client mismatch":
        request_object = sign(rp_key, {**claims, "client_id": "someone-else"})
    elif case == "expired":
        request_object = sign(rp_key, {**claims, "exp": int(time.time()) - 600})
    else:
        request_object = sign(rp_key, {**claims, "aud": "https://other.example"})
    response = Browser(idp).go(meta["authorization_endpoint"] + "?" + urlencode(
        {"client_id": jar_client.client_id, "request": request_object}))
    assert response.status_code == 400 and "Location" not in response.headers
