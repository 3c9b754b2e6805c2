"""private_key_jwt and client_secret_jwt (RFC 7523 2.2, 3; OIDC Core 9) with authlib's client
auth classes against the live server; keys from `jwks` or from a jwks_uri on a real local server."""

from __future__ import annotations

import time

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import ClientSecretJWT, PrivateKeyJWT
from authlib.oauth2.rfc7523.assertion import client_secret_jwt_sign, private_key_jwt_sign
from joserfc.jwk import ECKey, RSAKey

from .rp_server import RelyingPartyServer
from .test_code_flow import discover

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture(scope="module")
def rsa_key():
    return RSAKey.generate_key(2048, private=True, parameters={"kid": "rp-key-1"})


@pytest.fixture
def jwks_server():
    server = RelyingPartyServer()
    yield server
    server.close()


def service_client(idp, method, **metadata):
    client, secret = idp.create_client(name="Service", redirect_uris=[], grant_types=["client_credentials"],
                                       scope="api:read", auth_method=method, metadata=metadata)
    return client, secret


def public_jwks(*keys):
    return {"keys": [k.as_dict(private=False) for k in keys]}


def fetch_with(idp, client_id, key, auth):
    token_endpoint = discover(idp)["token_endpoint"]
    session = OAuth2Session(client_id, key, token_endpoint_auth_method=auth.name)
    session.register_client_auth_method(auth)
    return session.fetch_token(token_endpoint, grant_type="client_credentials")


def post_assertion(idp, assertion, **extra):
    return requests.post(idp.endpoint("/token"), timeout=5, data={
        "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion, **extra})


def test_discovery_lists_jwt_client_authentication_oidc_discovery_3(idp):
    meta = discover(idp)
    assert {"private_key_jwt", "client_secret_jwt"} <= set(meta["token_endpoint_auth_methods_supported"])
    assert "RS256" in meta["token_endpoint_auth_signing_alg_values_supported"]
    assert "none" not in meta["token_endpoint_auth_signing_alg_values_supported"]


def test_private_key_jwt_with_registered_jwks_rfc7523_2_2(idp, rsa_key):
    client, secret = service_client(idp, "private_key_jwt", jwks=public_jwks(rsa_key))
    assert secret is None  # nothing to leak: the client holds the only private key
    token = fetch_with(idp, client.client_id, rsa_key, PrivateKeyJWT(alg="RS256", headers={"kid": "rp-key-1"}))
    assert token["token_type"] == "Bearer" and token["access_token"]


def test_private_key_jwt_with_es256_and_issuer_audience_rfc7523_3(idp):
    key = ECKey.generate_key("P-256", private=True)
    client, _ = service_client(idp, "private_key_jwt", jwks=public_jwks(key))
    auth = PrivateKeyJWT(token_endpoint=idp.url, alg="ES256")  # aud = the issuer is accepted too
    assert fetch_with(idp, client.client_id, key, auth)["access_token"]


def test_private_key_jwt_with_keys_from_a_cached_jwks_uri(idp, rsa_key, jwks_server):
    jwks_server.documents["/jwks"] = public_jwks(rsa_key)
    client, _ = service_client(idp, "private_key_jwt", jwks_uri=jwks_server.url + "/jwks")
    for _ in range(3):
        fetch_with(idp, client.client_id, rsa_key, PrivateKeyJWT(headers={"kid": "rp-key-1"}))
    assert jwks_server.gets == ["/jwks"]  # fetched once, then cached


def test_rotated_rp_key_is_found_by_refetching_the_jwks_uri(idp, rsa_key, jwks_server):
    jwks_server.documents["/jwks"] = public_jwks(rsa_key)
    client, _ = service_client(idp, "private_key_jwt", jwks_uri=jwks_server.url + "/jwks")
    fetch_with(idp, client.client_id, rsa_key, PrivateKeyJWT(headers={"kid": "rp-key-1"}))
    new_key = RSAKey.generate_key(2048, private=True, parameters={"kid": "rp-key-2"})
    jwks_server.documents["/jwks"] = public_jwks(rsa_key, new_key)
    import idp.oauth.client_auth as client_auth

    original, client_auth.REFETCH_INTERVAL = client_auth.REFETCH_INTERVAL, 0
    try:
        assert fetch_with(idp, client.client_id, new_key, PrivateKeyJWT(headers={"kid": "rp-key-2"}))
    finally:
        client_auth.REFETCH_INTERVAL = original


def test_replayed_assertion_is_refused_rfc7523_3_item_7(idp, rsa_key):
    client, _ = service_client(idp, "private_key_jwt", jwks=public_jwks(rsa_key))
    assertion = private_key_jwt_sign(rsa_key, client.client_id, idp.url + "/token")
    assert post_assertion(idp, assertion).status_code == 200
    replay = post_assertion(idp, assertion)
    assert replay.status_code in (400, 401) and replay.json()["error"] == "invalid_client"


def test_assertion_signed_by_an_unregistered_key_is_refused(idp, rsa_key):
    client, _ = service_client(idp, "private_key_jwt", jwks=public_jwks(rsa_key))
    stranger = RSAKey.generate_key(2048, private=True, parameters={"kid": "rp-key-1"})
    response = post_assertion(idp, private_key_jwt_sign(stranger, client.client_id, idp.url + "/token"))
    assert response.status_code in (400, 401) and response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("change", [
    {"aud": "https://other.example/token"},
    {"exp": int(time.time()) - 120},
    {"exp": int(time.time()) + 7200},
    {"iss": "someone-else"},
])
def test_assertion_with_wrong_claims_is_refused_rfc7523_3(idp, rsa_key, change):
    client, _ = service_client(idp, "private_key_jwt", jwks=public_jwks(rsa_key))
    from authlib.oauth2.rfc7523.assertion import sign_jwt_bearer_assertion

    claims = {"iss": client.client_id, "sub": client.client_id, "aud": idp.url + "/token",
              "exp": int(time.time()) + 60, "jti": f"j-{time.time()}", **change}
    assertion = sign_jwt_bearer_assertion(rsa_key, claims.pop("iss"), claims.pop("aud"), claims=claims,
                                          alg="RS256", expires_at=claims.pop("exp"), subject=claims.pop("sub"))
    response = post_assertion(idp, assertion)
    assert response.status_code in (400, 401) and response.json()["error"] == "invalid_client"


def test_hs256_assertion_for_a_private_key_jwt_client_is_refused(idp, rsa_key):
    """Algorithm confusion: the public key must not become an HMAC secret."""
    import base64
    import hashlib
    import hmac
    import json

    client, _ = service_client(idp, "private_key_jwt", jwks=public_jwks(rsa_key))

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    claims = {"iss": client.client_id, "sub": client.client_id, "aud": idp.url + "/token",
              "exp": int(time.time()) + 60, "jti": "forged"}
    signing_input = b64(json.dumps({"alg": "HS256", "kid": "rp-key-1"}).encode()) + "." + b64(
        json.dumps(claims).encode())
    for secret in (rsa_key.as_pem(private=False), json.dumps(rsa_key.as_dict(private=False)).encode()):
        signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        response = post_assertion(idp, signing_input + "." + b64(signature))
        assert response.json()["error"] == "invalid_client"


def test_client_id_parameter_must_match_the_assertion(idp, rsa_key):
    client, _ = service_client(idp, "private_key_jwt", jwks=public_jwks(rsa_key))
    other, _ = service_client(idp, "private_key_jwt", jwks=public_jwks(rsa_key))
    assertion = private_key_jwt_sign(rsa_key, client.client_id, idp.url + "/token")
    assert post_assertion(idp, assertion, client_id=other.client_id).json()["error"] == "invalid_client"


def test_client_secret_jwt_rfc7523_2_2(idp):
    client, secret = service_client(idp, "client_secret_jwt")
    assert fetch_with(idp, client.client_id, secret, ClientSecretJWT())["access_token"]
    wrong = client_secret_jwt_sign(__import__("joserfc.jwk", fromlist=["OctKey"]).OctKey.import_key("x" * 43),
                                   client.client_id, idp.url + "/token")
    assert post_assertion(idp, wrong).json()["error"] == "invalid_client"


def test_shared_secret_is_encrypted_at_rest(idp):
    from idp.store.models import Client

    client, secret = service_client(idp, "client_secret_jwt")
    with idp.services.db.session() as session:
        row = session.get(Client, client.client_id)
        assert secret not in str(row.metadata_) and row.secret_hash != secret


def test_jwt_authenticated_client_can_introspect(idp, rsa_key):
    client, _ = service_client(idp, "private_key_jwt", jwks=public_jwks(rsa_key))
    token = fetch_with(idp, client.client_id, rsa_key, PrivateKeyJWT())
    assertion = private_key_jwt_sign(rsa_key, client.client_id, idp.url + "/introspect")
    response = requests.post(idp.endpoint("/introspect"), timeout=5, data={
        "token": token["access_token"], "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion})
    assert response.json()["active"] is True


def test_secret_based_methods_do_not_work_for_a_private_key_jwt_client(idp, rsa_key):
    client, _ = service_client(idp, "private_key_jwt", jwks=public_jwks(rsa_key))
    response = requests.post(idp.endpoint("/token"), auth=(client.client_id, ""), timeout=5,
                             data={"grant_type": "client_credentials"})
    assert response.json()["error"] == "invalid_client"


def test_rewrap_also_re_encrypts_shared_client_secrets(tmp_path):
    from idp.plumbing.encryption import KeyWrapper
    from idp.store.clients import Clients
    from idp.store.db import Database
    from idp.store.migrate import upgrade
    from idp.tokens.keys import KeyManager

    url = f"sqlite:///{tmp_path}/rewrap.sqlite"
    upgrade(url)
    manager = KeyManager(Database(url), "old-kek-" * 5, cache_seconds=0)
    manager.ensure_signing_keys()
    client, secret = Clients(Database(url), 0, KeyWrapper("old-kek-" * 5)).create(
        "S", [], grant_types=["client_credentials"], auth_method="client_secret_jwt")
    manager.rewrap("new-kek-" * 5)
    reloaded = Clients(Database(url), 0, KeyWrapper("new-kek-" * 5))
    assert reloaded.shared_secret(reloaded.get(client.client_id)) == secret
