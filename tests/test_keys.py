"""Signing keys that rotate by themselves, safely, across replicas (RFC 7517, RFC 7638 kids,
OIDC Core 10.1.1: signing keys are rotated by publishing the new key before using it)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.config import Config
from idp.plumbing.encryption import KeyDecryptionError
from idp.store.db import Database
from idp.store.migrate import upgrade
from idp.tokens.keys import KeyManager, RotationTooEarly

from .conftest import Browser, callback_params, start_idp, start_replica


def client_credentials_token(idp, service, secret) -> str:
    response = requests.post(idp.endpoint("/token"), auth=(service.client_id, secret), timeout=5,
                             data={"grant_type": "client_credentials"})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def kid_of(token: str) -> str:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "==="))["kid"]


def published_kids(idp) -> set[str]:
    return {k["kid"] for k in requests.get(idp.endpoint("/jwks.json"), timeout=5).json()["keys"]}


def introspect(idp, token, service, secret) -> dict:
    return requests.post(idp.endpoint("/introspect"), data={"token": token}, auth=(service.client_id, secret),
                         timeout=5).json()


def verifies_against_jwks(idp, token) -> bool:
    keyset = KeySet.import_key_set(requests.get(idp.endpoint("/jwks.json"), timeout=5).json())
    try:
        jwt.decode(token, keyset, algorithms=["RS256"])
        return True
    except Exception:
        return False


def states(idp) -> dict[str, str]:
    return {k.kid: k.state for k in idp.services.keys.list_keys()}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two instances on one PostgreSQL and one Redis, as two replicas behind a load balancer."""
    first, stop_first = start_idp("postgres", tmp_path_factory)
    second, stop_second = start_replica(first)
    yield first, second
    stop_second()
    stop_first()


@pytest.fixture
def service(cluster):
    first, _ = cluster
    return first.create_client(name="svc", redirect_uris=[], grant_types=["client_credentials"], scope="api")


def test_jwks_publishes_next_before_it_signs(cluster):
    first, _ = cluster
    by_state = {state: kid for kid, state in states(first).items() if state in ("current", "next")}
    assert set(by_state) == {"current", "next"}
    assert {by_state["current"], by_state["next"]} <= published_kids(first)


def test_rotation_across_two_replicas_keeps_old_tokens_valid(cluster, service):
    first, second = cluster
    client, secret = service
    before = client_credentials_token(first, client, secret)
    old_kid = kid_of(before)
    next_kid = next(k for k, s in states(first).items() if s == "next")

    assert first.services.keys.rotate("RS256", expected_current=old_kid, force=True) == next_kid

    after = client_credentials_token(first, client, secret)
    assert kid_of(after) == next_kid
    # The other replica signs with the new key without a restart (it re-reads within KEY_CACHE_SECONDS).
    deadline = time.time() + 5
    while kid_of(client_credentials_token(second, client, secret)) != next_kid:
        assert time.time() < deadline, "the second replica never picked up the new key"
        time.sleep(0.2)
    # Tokens signed before the rotation still verify, locally against the JWKS and by introspection.
    assert old_kid in published_kids(second)
    assert verifies_against_jwks(second, before)
    assert introspect(second, before, client, secret)["active"] is True
    assert states(first)[old_kid] == "retired"


def test_concurrent_rotate_from_two_processes_rotates_once(cluster):
    first, _ = cluster
    config = first.services.config
    env = dict(os.environ, DATABASE_URL=config.database_url, KEY_ENCRYPTION_KEY=config.key_encryption_key,
               SESSION_SECRET=config.session_secret, IDP_ENV="development")
    env.pop("REDIS_URL", None)
    before = states(first)
    current = next(k for k, s in before.items() if s == "current")
    rotate = ["keys", "rotate", "--if-current", current, "--force"]
    procs = [subprocess.Popen([sys.executable, "-m", "idp.cli", *rotate], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    after = states(first)
    assert len(after) == len(before) + 1, (before, after)  # one new `next`, not two
    assert sum(1 for out, _ in outputs if "now signs with" in out) == 1


def test_rotate_refuses_a_next_key_younger_than_the_jwks_cache(cluster):
    first, _ = cluster
    config = first.services.config
    env = dict(os.environ, DATABASE_URL=config.database_url, KEY_ENCRYPTION_KEY=config.key_encryption_key,
               SESSION_SECRET=config.session_secret, IDP_ENV="development")
    result = subprocess.run([sys.executable, "-m", "idp.cli", "keys", "rotate"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0 and "cache the JWKS" in result.stderr


def test_revoked_key_leaves_jwks_at_once_and_its_tokens_fail_introspection(cluster, service):
    first, second = cluster
    client, secret = service
    token = client_credentials_token(first, client, secret)
    kid = kid_of(token)
    assert introspect(second, token, client, secret)["active"] is True

    assert first.services.keys.revoke(kid)
    assert kid not in published_kids(first)
    assert introspect(second, token, client, secret) == {"active": False}  # the other replica, at once
    assert introspect(first, token, client, secret) == {"active": False}
    assert kid_of(client_credentials_token(first, client, secret)) != kid
    assert states(first)[kid] == "revoked"


def test_retired_key_stops_signing_but_stays_published(cluster, service):
    first, _ = cluster
    client, secret = service
    token = client_credentials_token(first, client, secret)
    kid = kid_of(token)
    assert first.services.keys.retire(kid)
    assert kid_of(client_credentials_token(first, client, secret)) != kid
    assert kid in published_kids(first)
    assert introspect(first, token, client, secret)["active"] is True


def test_jwks_304_and_a_new_etag_after_rotation(cluster):
    first, _ = cluster
    etag = requests.get(first.endpoint("/jwks.json"), timeout=5).headers["ETag"]
    assert requests.get(first.endpoint("/jwks.json"), headers={"If-None-Match": etag},
                        timeout=5).status_code == 304
    current = next(k for k, s in states(first).items() if s == "current")
    first.services.keys.rotate("RS256", expected_current=current, force=True)
    response = requests.get(first.endpoint("/jwks.json"), headers={"If-None-Match": etag}, timeout=5)
    assert response.status_code == 200 and response.headers["ETag"] != etag
    max_age = int(response.headers["Cache-Control"].split("max-age=")[1])
    assert max_age < first.services.config.key_rotation_interval  # shorter than the next key's lead time


def test_scheduled_rotation_is_triggered_by_traffic(tmp_path):
    url = f"sqlite:///{tmp_path}/sched.sqlite"
    upgrade(url)
    manager = KeyManager(Database(url), "k" * 40, rotation_interval=1, cache_seconds=0, jwks_max_age=0)
    manager.ensure_signing_keys()
    first_kid = manager.signing_key()[0]
    time.sleep(1.2)
    assert manager.signing_key()[0] != first_kid  # normal use noticed the key was due and rotated it


def test_export_import_round_trip(tmp_path, cluster):
    first, _ = cluster
    kid = next(k for k, s in states(first).items() if s == "current")
    private = first.services.keys.export(kid, private=True)
    assert "d" in private and "d" not in first.services.keys.export(kid)

    url = f"sqlite:///{tmp_path}/import.sqlite"
    upgrade(url)
    other = KeyManager(Database(url), "other-kek-" * 4, cache_seconds=0)
    other.ensure_signing_keys()
    assert other.import_private_key(private) == kid
    assert other.export(kid) == first.services.keys.export(kid)
    with pytest.raises(RotationTooEarly):
        other.rotate("RS256")  # just published: relying parties may not have it yet
    other.rotate("RS256", force=True)
    assert other.signing_key()[0] == kid  # the imported key signs after the next rotation


def test_rewrap_under_a_new_kek(tmp_path):
    from idp.plumbing.encryption import KeyWrapper
    from idp.store.models import TotpCredential, User

    url = f"sqlite:///{tmp_path}/rewrap.sqlite"
    upgrade(url)
    db = Database(url)
    manager = KeyManager(db, "old-kek-" * 5, cache_seconds=0)
    manager.ensure_signing_keys()
    kid = manager.signing_key()[0]
    with db.session() as session:  # a second factor's secret is encrypted under the same key
        session.add(User(id="u1", email="u1@example.com"))
        session.flush()
        session.add(TotpCredential(user_id="u1", secret_encrypted=KeyWrapper("old-kek-" * 5).wrap(b"JBSWY3DP", "totp:u1")))
    assert manager.rewrap("new-kek-" * 5) == 2
    with db.session() as session:
        blob = session.get(TotpCredential, "u1").secret_encrypted
    assert KeyWrapper("new-kek-" * 5).unwrap(blob, "totp:u1") == b"JBSWY3DP"
    assert KeyManager(Database(url), "new-kek-" * 5, cache_seconds=0).signing_key()[0] == kid
    with pytest.raises(KeyDecryptionError):
        KeyManager(Database(url), "old-kek-" * 5, cache_seconds=0).signing_key()


@pytest.fixture(scope="module")
def multi_alg(tmp_path_factory):
    live, stop = start_idp("embedded", tmp_path_factory, signing_algs=("RS256", "ES256", "EdDSA"))
    yield live
    stop()


def test_discovery_lists_exactly_the_algorithms_with_a_live_key(multi_alg, cluster):
    meta = requests.get(multi_alg.endpoint("/.well-known/openid-configuration"), timeout=5).json()
    assert meta["id_token_signing_alg_values_supported"] == ["RS256", "ES256", "EdDSA"]
    algs = {k["alg"] for k in requests.get(multi_alg.endpoint("/jwks.json"), timeout=5).json()["keys"]}
    assert algs == {"RS256", "ES256", "EdDSA"}
    first, _ = cluster
    meta = requests.get(first.endpoint("/.well-known/openid-configuration"), timeout=5).json()
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_client_gets_id_tokens_in_its_registered_algorithm(multi_alg, alg):
    client, secret = multi_alg.services.clients.create(
        "alg-rp", ["http://127.0.0.1:8080/callback"], metadata={"id_token_signed_response_alg": alg})
    user = multi_alg.create_user()
    browser = Browser(multi_alg)
    from authlib.common.security import generate_token
    from authlib.integrations.requests_client import OAuth2Session

    rp = OAuth2Session(client.client_id, secret, scope="openid", redirect_uri="http://127.0.0.1:8080/callback",
                       code_challenge_method="S256")
    verifier = generate_token(48)
    url, _ = rp.create_authorization_url(multi_alg.endpoint("/authorize"), code_verifier=verifier, nonce="n")
    params = callback_params(browser.authorize(url, user.email))
    token = rp.fetch_token(multi_alg.endpoint("/token"), code=params["code"], code_verifier=verifier)
    keyset = KeySet.import_key_set(requests.get(multi_alg.endpoint("/jwks.json"), timeout=5).json())
    decoded = jwt.decode(token["id_token"], keyset, algorithms=[alg])
    assert decoded.header["alg"] == alg and decoded.claims["sub"] == user.id
    assert kid_of(token["access_token"]) != decoded.header["kid"]  # access tokens stay RS256


def test_key_algorithms_config_requires_rs256():
    from idp.config import ConfigError

    with pytest.raises(ConfigError, match="KEY_ALGORITHMS"):
        Config.from_env({"KEY_ALGORITHMS": "ES256"})
    assert Config.from_env({"KEY_ALGORITHMS": "RS256,EdDSA"}).signing_algs == ("RS256", "EdDSA")
