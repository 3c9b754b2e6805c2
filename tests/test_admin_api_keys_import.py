"""/admin/api/v1/keys/{kid}/jwk and /admin/api/v1/keys/import end to end (issue 15): the public JWK
only; a private key (JWK or PEM) enters as its algorithm's next key, published at once and signing
from the next rotation, audited without key material; weak, public-only, mismatched, foreign-curve,
unconfigured and duplicate keys are refused with problem details (400 / 409), never a 500."""

from __future__ import annotations

import json

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc.jwk import ECKey, OKPKey, RSAKey

from idp.administration.errors import Invalid
from idp.administration.key_import import parse_private_key

from .admin_api import admin_session
from .conftest import remember_secret, start_idp
from .test_cli_config import cli_env, run  # noqa: F401  (fixture)

PROBLEM = "application/problem+json"
PRIVATE = ("d", "p", "q", "dp", "dq", "qi")


@pytest.fixture
def admin(idp):
    return admin_session(idp)


def pem_of(private_key, encoding=serialization.PrivateFormat.PKCS8) -> str:
    return private_key.private_bytes(serialization.Encoding.PEM, encoding, serialization.NoEncryption()).decode()


def rsa_jwk(bits: int = 2048) -> dict:
    jwk = RSAKey.generate_key(bits, private=True, auto_kid=False).as_dict(private=True)
    remember_secret(jwk["d"])
    return jwk


def error_names(response) -> set[str]:
    assert response.status_code == 400 and response.headers["Content-Type"] == PROBLEM, response.text
    return {error["name"] for error in response.json()["errors"]}


def jwks(idp) -> dict:
    return {key["kid"]: key for key in requests.get(idp.endpoint("/jwks.json"), timeout=10).json()["keys"]}


def test_a_key_s_public_jwk_and_nothing_private(idp, admin):
    current = next(k for k in admin.get("/keys").json()["items"] if k["state"] == "current")
    response = admin.get(f"/keys/{current['kid']}/jwk")
    assert response.status_code == 200 and response.headers["ETag"]
    assert response.json() == jwks(idp)[current["kid"]] and not set(PRIVATE) & set(response.json())
    assert admin.get("/keys/no-such-kid/jwk").status_code == 404
    assert admin.get("/keys/" + "k" * 65 + "/jwk").status_code == 404


def test_an_imported_jwk_becomes_the_next_key_then_signs_after_rotation(idp, admin):
    jwk = rsa_jwk()
    before = {k["kid"]: k["state"] for k in admin.get("/keys").json()["items"]}
    response = admin.post("/keys/import", json={"jwk": jwk, "alg": "RS256"})
    assert response.status_code == 201, response.text
    imported = response.json()
    assert imported["state"] == "next" and imported["alg"] == "RS256"
    assert imported["kid"] == RSAKey.import_key(jwk).thumbprint()
    assert response.headers["Location"].endswith(f"/admin/api/v1/keys/{imported['kid']}/jwk")
    assert jwk["d"] not in response.text
    assert imported["kid"] in jwks(idp)  # published at once: relying parties learn it before it signs
    after = {k["kid"]: k["state"] for k in admin.get("/keys").json()["items"]}
    replaced = [kid for kid, state in before.items() if state == "next" and after.get(kid) is None]
    assert len(replaced) == 1  # the generated next key (it never signed) made way
    assert [kid for kid, state in after.items() if state == "current"] == [
        kid for kid, state in before.items() if state == "current"]  # never straight to current
    too_early = admin.post("/keys/rotate", json={"alg": "RS256"})
    assert too_early.status_code == 409 and too_early.json()["code"] == "too_early"
    assert admin.post("/keys/rotate", json={"alg": "RS256", "force": True}).json()["kid"] == imported["kid"]
    events = [e for e in idp.services.audit_events.list(action="key.imported") if e.actor == f"client:{admin.client_id}"]
    assert events and events[0].details["kid"] == imported["kid"] and events[0].details["replaced_next_kid"] == replaced[0]
    assert not {jwk[m] for m in PRIVATE} & set(json.dumps([e.as_dict() for e in events]).split('"'))


def test_pem_keys_pkcs8_and_pkcs1(admin):
    for encoding in (serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL):
        pem = pem_of(rsa.generate_private_key(65537, 2048), encoding)
        response = admin.post("/keys/import", json={"pem": pem})
        assert response.status_code == 201 and response.json()["state"] == "next", response.text


def test_a_stored_key_is_a_409_even_revoked(admin):
    jwk = rsa_jwk()
    kid = admin.post("/keys/import", json={"jwk": jwk}).json()["kid"]
    again = admin.post("/keys/import", json={"jwk": jwk})
    assert again.status_code == 409 and again.json()["code"] == "duplicate"
    assert admin.post(f"/keys/{kid}/revoke").status_code == 200
    assert admin.post("/keys/import", json={"jwk": jwk}).status_code == 409  # a revoked key never comes back


def test_keys_that_cannot_sign_here_are_400(admin):
    strong, weak = rsa_jwk(), rsa_jwk(1024)
    public = {m: strong[m] for m in ("kty", "n", "e")}
    public_pem = rsa.generate_private_key(65537, 2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    encrypted = rsa.generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase")).decode()
    other = rsa_jwk()
    for body, names in (
            ({"jwk": weak}, {"jwk"}), ({"jwk": public}, {"jwk"}), ({"pem": public_pem}, {"pem"}),
            ({"pem": encrypted}, {"pem"}), ({"pem": "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----"}, {"pem"}),
            ({"pem": "x" * 20_000}, {"pem"}), ({"jwk": strong, "alg": "ES256"}, {"alg"}),
            ({"jwk": strong, "alg": "HS256"}, {"alg"}), ({"jwk": {**strong, "alg": "PS256"}}, {"jwk"}),
            ({"jwk": {**strong, "kid": "my-own-name"}}, {"jwk"}), ({"jwk": {**strong, "use": "enc"}}, {"jwk"}),
            ({"jwk": {**strong, "d": other["d"]}}, {"jwk"}), ({"jwk": {"kty": "RSA", "n": 5, "e": "AQAB", "d": "x"}}, {"jwk"}),
            ({"jwk": {"kty": "oct", "k": "c2VjcmV0"}}, {"jwk"}), ({"jwk": {"kty": ["RSA"]}}, {"jwk"}),
            ({"jwk": "not an object"}, {"jwk"}), ({"jwk": strong, "pem": "x"}, {"jwk", "pem"}), ({}, {"jwk", "pem"}),
            ({"jwk": strong, "private": True}, {"private"}), ({"pem": 5}, {"pem"}), ([], {"body"})):
        assert error_names(admin.post("/keys/import", json=body)) == names, body
    ec_pem = pem_of(ec.generate_private_key(ec.SECP256R1()))
    assert error_names(admin.post("/keys/import", json={"pem": ec_pem})) == {"alg"}  # ES256 is not configured here
    assert admin.post("/keys/import", data="pem=x").status_code == 415


def test_reading_needs_admin_read_and_importing_admin_write(idp):
    reader = admin_session(idp, scope="admin:read")
    kid = next(k["kid"] for k in reader.get("/keys").json()["items"] if k["state"] == "current")
    assert reader.get(f"/keys/{kid}/jwk").status_code == 200
    assert reader.post("/keys/import", json={"jwk": rsa_jwk()}).status_code == 403


@pytest.fixture(scope="module")
def multi_alg(tmp_path_factory):
    live, stop = start_idp("embedded", tmp_path_factory, signing_algs=("RS256", "ES256", "EdDSA"))
    yield live
    stop()


def test_es256_and_eddsa_keys_of_the_right_curves(multi_alg):
    admin = admin_session(multi_alg)
    ec_response = admin.post("/keys/import", json={"pem": pem_of(ec.generate_private_key(ec.SECP256R1()))})
    assert ec_response.status_code == 201 and ec_response.json()["alg"] == "ES256", ec_response.text
    okp = OKPKey.generate_key("Ed25519", private=True, auto_kid=False).as_dict(private=True)
    okp_response = admin.post("/keys/import", json={"jwk": okp, "alg": "EdDSA"})
    assert okp_response.status_code == 201 and okp_response.json()["state"] == "next"
    assert admin.get(f"/keys/{okp_response.json()['kid']}/jwk").json()["x"] == okp["x"]
    p384 = pem_of(ec.generate_private_key(ec.SECP384R1()))
    assert error_names(admin.post("/keys/import", json={"pem": p384})) == {"pem"}
    assert error_names(admin.post("/keys/import", json={"jwk": {**okp, "crv": "X25519"}})) == {"jwk"}


def test_a_jwk_whose_public_part_is_not_its_private_part_s_is_refused():
    """joserfc keeps an Ed25519 JWK's x as given: published, it would verify nothing it signed."""
    okp = OKPKey.generate_key("Ed25519", private=True, auto_kid=False).as_dict(private=True)
    stranger = OKPKey.generate_key("Ed25519", private=True, auto_kid=False).as_dict(private=True)
    with pytest.raises(Invalid) as refused:
        parse_private_key({**okp, "x": stranger["x"]})
    assert refused.value.errors == {"jwk": "the public and private parts do not belong to one key"}
    p256 = ECKey.generate_key("P-256", private=True, auto_kid=False).as_dict(private=True)
    other = ECKey.generate_key("P-256", private=True, auto_kid=False).as_dict(private=True)
    with pytest.raises(Invalid):
        parse_private_key({**p256, "d": other["d"]})
    assert parse_private_key(p256)[0] == "ES256" and parse_private_key(okp, alg="EdDSA")[0] == "EdDSA"


def test_idp_keys_import_uses_the_same_checks(cli_env, tmp_path):
    good, weak = tmp_path / "good.pem", tmp_path / "weak.json"
    good.write_text(pem_of(rsa.generate_private_key(65537, 2048)))
    weak.write_text(json.dumps(rsa_jwk(1024)))
    imported = run(["keys", "import", str(good)], cli_env)
    assert imported.returncode == 0 and "as next" in imported.stdout, imported.stderr
    refused = run(["keys", "import", str(weak)], cli_env)
    assert refused.returncode == 2 and "1024 bits" in refused.stderr
    assert run(["keys", "import", str(good)], cli_env).returncode == 1  # stored already
