"""Dynamic client registration (RFC 7591) and management (RFC 7592) against the live server;
the registered client then signs a user in with authlib's client."""

from __future__ import annotations

import dataclasses
import json

import pytest
import requests
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.jwk import RSAKey

from .conftest import REDIRECT_URI, start_idp
from .rp_server import RelyingPartyServer
from .test_cli_config import cli_env, run  # noqa: F401  (fixture)
from .test_code_flow import discover, run_code_flow


def register(idp, metadata, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(discover(idp)["registration_endpoint"], json=metadata, headers=headers, timeout=5)


@pytest.fixture
def token(idp):
    return idp.services.initial_access_tokens.create(600, uses=1)


WEB_APP = {"client_name": "Registered RP", "redirect_uris": [REDIRECT_URI],
           "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
           "scope": "openid profile email offline_access", "post_logout_redirect_uris": [REDIRECT_URI + "/bye"]}


def test_discovery_lists_the_registration_endpoint_rfc8414_2(idp):
    assert discover(idp)["registration_endpoint"] == idp.url + "/connect/register"


def test_registration_without_initial_access_token_is_401_rfc7591_3(idp):
    response = register(idp, WEB_APP)
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"
    assert register(idp, WEB_APP, "made-up").status_code == 401


def test_registered_client_completes_the_code_flow_rfc7591_3_2_1(idp, browser, user, token):
    response = register(idp, WEB_APP, token)
    assert response.status_code == 201, response.text
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    for name in ("client_id", "client_secret", "client_id_issued_at", "registration_access_token",
                 "registration_client_uri"):
        assert body[name], name
    assert body["client_secret_expires_at"] == 0
    assert body["redirect_uris"] == [REDIRECT_URI] and body["client_name"] == "Registered RP"
    assert body["post_logout_redirect_uris"] == [REDIRECT_URI + "/bye"]
    assert body["token_endpoint_auth_method"] == "client_secret_basic"

    client = idp.services.clients.get(body["client_id"])
    client = dataclasses.replace(client, client_metadata={"secret": body["client_secret"]})
    _, _, tokens, _, _ = run_code_flow(idp, browser, client, user)
    assert tokens["id_token"] and tokens["refresh_token"]

    # The initial access token allowed one registration.
    assert register(idp, WEB_APP, token).status_code == 401


@pytest.mark.parametrize("uris", [
    ["https://app.example/cb#fragment"],
    ["http://app.example/cb"],
    ["/relative"],
    ["javascript:alert(1)"],
    "https://app.example/cb",
    [],
])
def test_bad_redirect_uris_are_invalid_redirect_uri_rfc7591_3_2_2(idp, uris):
    token = idp.services.initial_access_tokens.create(600)
    response = register(idp, {**WEB_APP, "redirect_uris": uris}, token)
    assert response.status_code == 400 and response.json()["error"] == "invalid_redirect_uri", response.text
    assert idp.services.initial_access_tokens.valid(token)  # a refused registration spends no use


@pytest.mark.parametrize("change", [
    {"token_endpoint_auth_method": "tls_client_auth"},
    {"grant_types": ["password"]},
    {"grant_types": ["implicit"], "response_types": ["token"]},
    {"grant_types": ["client_credentials"], "response_types": ["code"]},
    {"token_endpoint_auth_method": "private_key_jwt"},
    {"token_endpoint_auth_method": "none", "grant_types": ["client_credentials"], "response_types": []},
    {"jwks": {"keys": []}, "jwks_uri": "https://app.example/jwks"},
    {"jwks": {"keys": [RSAKey.generate_key(2048, private=True).as_dict(private=True)]}},
    {"jwks_uri": "http://app.example/jwks"},
    {"backchannel_logout_uri": "ftp://app.example/logout"},
    {"scope": "openid admin"},
    {"id_token_encrypted_response_alg": "RSA-OAEP"},
    {"id_token_signed_response_alg": "HS256"},
    {"backchannel_logout_session_required": "yes"},
    {"scope": 5},
    {"client_name": ["x"]},
    {"subject_type": "pairwise", "sector_identifier_uri": 5},
    {"jwks": "x"},
    {"grant_types": "authorization_code"},
])
def test_bad_metadata_is_invalid_client_metadata_rfc7591_3_2_2(idp, change):
    token = idp.services.initial_access_tokens.create(600)
    response = register(idp, {**WEB_APP, **change}, token)
    assert response.status_code == 400 and response.json()["error"] == "invalid_client_metadata", response.text


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b""])
def test_a_body_that_is_not_a_json_object_is_400(idp, token, body):
    response = requests.post(idp.endpoint("/connect/register"), data=body, timeout=5, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_client_metadata"


def test_read_update_delete_with_the_registration_access_token_rfc7592_2(idp, token):
    body = register(idp, WEB_APP, token).json()
    uri, auth = body["registration_client_uri"], {"Authorization": f"Bearer {body['registration_access_token']}"}
    assert uri == f"{idp.url}/connect/register/{body['client_id']}"

    read = requests.get(uri, headers=auth, timeout=5)
    assert read.status_code == 200 and read.json()["redirect_uris"] == [REDIRECT_URI]
    assert "client_secret_encrypted" not in read.json()
    assert requests.get(uri, headers={"Authorization": "Bearer wrong"}, timeout=5).status_code == 401
    assert requests.get(uri, timeout=5).status_code == 401

    new_uri = "https://app.example/callback"
    updated = requests.put(uri, headers=auth, timeout=5, json={**WEB_APP, "client_id": body["client_id"],
                                                               "redirect_uris": [new_uri]})
    assert updated.status_code == 200, updated.text
    assert idp.services.clients.get(body["client_id"]).redirect_uris == (new_uri,)

    switched = requests.put(uri, headers=auth, timeout=5, json={**WEB_APP, "client_id": body["client_id"],
                                                                "token_endpoint_auth_method": "none"})
    assert switched.status_code == 400 and switched.json()["error"] == "invalid_client_metadata"
    bad = requests.put(uri, headers=auth, timeout=5, json={**WEB_APP, "client_id": body["client_id"],
                                                           "redirect_uris": ["http://evil.example/cb"]})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_redirect_uri"

    assert requests.delete(uri, headers=auth, timeout=5).status_code == 204
    assert idp.services.clients.get(body["client_id"]) is None
    assert requests.get(uri, headers=auth, timeout=5).status_code == 401


def test_another_clients_registration_token_is_refused_rfc7592_3(idp):
    first = register(idp, WEB_APP, idp.services.initial_access_tokens.create(600)).json()
    second = register(idp, WEB_APP, idp.services.initial_access_tokens.create(600)).json()
    response = requests.get(first["registration_client_uri"], timeout=5,
                            headers={"Authorization": f"Bearer {second['registration_access_token']}"})
    assert response.status_code == 401


def test_operator_made_clients_are_not_manageable_here(idp, client):
    response = requests.get(idp.endpoint(f"/connect/register/{client.client_id}"), timeout=5,
                            headers={"Authorization": "Bearer anything"})
    assert response.status_code == 401


def test_registered_private_key_jwt_client_with_jwks_uri(idp, token):
    key = RSAKey.generate_key(2048, private=True, parameters={"kid": "k1"})
    server = RelyingPartyServer()
    server.documents["/jwks"] = {"keys": [key.as_dict(private=False)]}
    try:
        body = register(idp, {"client_name": "Service", "grant_types": ["client_credentials"],
                              "token_endpoint_auth_method": "private_key_jwt", "scope": "openid",
                              "jwks_uri": server.url + "/jwks"}, token).json()
        assert "client_secret" not in body
        from authlib.integrations.requests_client import OAuth2Session

        session = OAuth2Session(body["client_id"], key, token_endpoint_auth_method="private_key_jwt")
        session.register_client_auth_method(PrivateKeyJWT(headers={"kid": "k1"}))
        assert session.fetch_token(discover(idp)["token_endpoint"], grant_type="client_credentials")["access_token"]
    finally:
        server.close()


@pytest.fixture(scope="module")
def open_idp(tmp_path_factory):
    live, stop = start_idp("embedded", tmp_path_factory, registration_mode="open")
    yield live
    stop()


@pytest.fixture(scope="module")
def closed_idp(tmp_path_factory):
    live, stop = start_idp("embedded", tmp_path_factory, registration_mode="off")
    yield live
    stop()


def test_open_registration_needs_no_token(open_idp):
    assert register(open_idp, WEB_APP).status_code == 201


def test_registration_off_is_404_and_not_advertised(closed_idp):
    assert "registration_endpoint" not in discover(closed_idp)
    assert requests.post(closed_idp.endpoint("/connect/register"), json=WEB_APP, timeout=5).status_code == 404


def test_cli_makes_initial_access_tokens(cli_env):  # noqa: F811
    made = run(["clients", "registration-token", "--expires", "1h", "--uses", "2"], cli_env)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert len(token) >= 40
    from idp.store.clients import InitialAccessTokens
    from idp.store.db import Database

    database = Database(cli_env["DATABASE_URL"])
    tokens = InitialAccessTokens(database)
    assert tokens.use(token) and tokens.use(token) and not tokens.use(token)
    database.dispose()
    assert json.dumps(token)
