"""`idp users import` and `idp users export` (issue 32), run as an operator would (a subprocess)
against a live IdP on both backends; every imported user then signs in with the password they
already had, under the subject their relying parties already know, and the hash is replaced by
the IdP's own argon2id."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import os
import stat
import subprocess
import sys
import types
import uuid

import bcrypt
import pyotp
import pytest

from idp.migration import schemes
from idp.store.users import count_by_password_scheme

from ..conftest import PASSWORD, remember_secret
from ..test_code_flow import run_code_flow, validate_id_token


def cli(idp, *args):
    return subprocess.run([sys.executable, "-m", "idp.cli", "users", *args], env=idp.cli_env(), capture_output=True,
                          text=True, timeout=120)


def write(tmp_path, name: str, content) -> str:
    path = tmp_path / name
    if isinstance(content, list):
        content = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in content)
    path.write_text(content)
    return str(path)


def bcrypt_12(password=PASSWORD) -> str:
    stored = bcrypt.hashpw(password.encode(), bcrypt.gensalt(12)).decode()
    remember_secret(stored)
    return stored


def legacy_user(**fields) -> dict:
    """A user of the replaced service: its own id (a UUID, as Prisma makes them) and a bcrypt hash."""
    return {"id": str(uuid.uuid4()), "email": f"legacy-{uuid.uuid4().hex[:8]}@example.com", "email_verified": True,
            "name": "Grace Hopper", **fields}


def signs_in_with_the_old_password(idp, browser, client, record):
    person = types.SimpleNamespace(email=record["email"], id=record["id"])
    _, meta, token, nonce, _ = run_code_flow(idp, browser, client, person)
    claims = validate_id_token(meta, token["id_token"], client.client_id, nonce).claims
    assert claims["sub"] == record["id"]  # the subject relying parties already know
    assert schemes.scheme_of(idp.services.users.by_id(record["id"]).password_hash) == "argon2id"


def test_bcrypt_users_of_the_replaced_service_sign_in_unchanged_and_are_upgraded(idp, browser, client, tmp_path):
    records = [legacy_user(password=bcrypt_12()) for _ in range(3)]
    result = cli(idp, "import", write(tmp_path, "users.jsonl", records))
    assert result.returncode == 0, result.stderr
    assert "imported: 3 created, 0 updated, 0 skipped, 0 failed" in result.stdout
    assert schemes.scheme_of(idp.services.users.by_id(records[0]["id"]).password_hash) == "bcrypt"
    signs_in_with_the_old_password(idp, browser, client, records[0])
    assert [e for e in idp.services.audit_events.list(action="users.imported")]
    counts = count_by_password_scheme(idp.services.db)  # what idp_users_by_password_scheme shows
    assert counts["bcrypt"] >= 2 and counts["argon2id"] >= 1
    assert re.search(r'idp_users_by_password_scheme\{scheme="bcrypt"\} \d', idp.scrape())


def test_bad_records_are_reported_by_line_and_the_good_ones_imported(idp, tmp_path):
    good = legacy_user(password=bcrypt_12())
    taken = idp.create_user()
    lines = [
        good,
        "{not json",
        {"email": "no-password-scheme@example.com", "password": {"scheme": "md4", "hash": "x"}},
        {"id": good["id"], "email": "other@example.com"},  # the same id again in the file
        {"id": str(uuid.uuid4()), "email": taken.email},  # an email that belongs to another user
        {"email": "broken-links@example.com", "identities": [{"provider": "google"}]},
        {"email": "bad-totp@example.com", "totp_secret": "not base32 !!"},
    ]
    result = cli(idp, "import", write(tmp_path, "mixed.jsonl", lines))
    assert result.returncode == 1
    assert "imported: 1 created, 0 updated, 0 skipped, 6 failed" in result.stdout
    for line in (2, 3, 4, 5, 6, 7):
        assert f"record {line}:" in result.stderr
    assert "unknown scheme 'md4'" in result.stderr and f"belongs to another user ({taken.id})" in result.stderr
    assert idp.services.users.by_email("bad-totp@example.com") is None  # never half a user
    assert idp.services.users.by_id(good["id"]).email == good["email"]


def test_rerunning_a_file_changes_nothing_and_dry_run_writes_nothing(idp, tmp_path):
    records = [legacy_user(password=bcrypt_12()) for _ in range(2)]
    path = write(tmp_path, "again.jsonl", records)
    dry = cli(idp, "import", path, "--dry-run")
    assert dry.returncode == 0 and "would import: 2 created" in dry.stdout
    assert idp.services.users.by_id(records[0]["id"]) is None
    assert cli(idp, "import", path).returncode == 0
    before = idp.services.users.record(records[0]["id"])
    again = cli(idp, "import", path)
    assert again.returncode == 0 and "0 created, 0 updated, 2 skipped, 0 failed" in again.stdout
    assert idp.services.users.record(records[0]["id"]) == before
    conflict = cli(idp, "import", path, "--on-conflict", "fail")
    assert conflict.returncode == 1 and "exists (--on-conflict fail)" in conflict.stderr
    records[0]["name"] = "Renamed"
    updated = cli(idp, "import", write(tmp_path, "renamed.jsonl", records), "--on-conflict", "update")
    assert "0 created, 2 updated" in updated.stdout
    assert idp.services.users.by_id(records[0]["id"]).name == "Renamed"


def test_second_factors_links_and_groups_come_along_and_export_round_trips(idp, browser, client, tmp_path):
    secret = pyotp.random_base32()
    remember_secret(secret)
    record = legacy_user(password=bcrypt_12(), totp_secret=secret, recovery_codes=["abcd-efgh-jkmn"],
                         identities=[{"provider": "github", "subject": f"gh-{uuid.uuid4().hex[:6]}"}],
                         groups=[f"staff-{uuid.uuid4().hex[:6]}"])
    assert cli(idp, "import", write(tmp_path, "full.jsonl", [record])).returncode == 0
    svc = idp.services
    assert svc.mfa.is_enrolled(record["id"]) and svc.mfa.remaining_recovery_codes(record["id"]) == 1
    link = record["identities"][0]
    assert svc.federated.find(link["provider"], link["subject"]).user_id == record["id"]

    out = tmp_path / "export.jsonl"
    exported = cli(idp, "export", "--output", str(out))
    assert exported.returncode == 0, exported.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600  # hashes and TOTP secrets: owner only
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    mine = next(line for line in lines if line["id"] == record["id"])
    assert mine["password"] == record["password"] and mine["totp_secret"] == secret
    assert mine["identities"] == record["identities"] and mine["groups"] == record["groups"]
    assert len(mine["recovery_codes"]) == 1 and set(mine["recovery_codes"][0]) == {"salt", "hash"}
    assert cli(idp, "export", "--output", str(out)).returncode != 0  # never over an existing file
    again = cli(idp, "import", str(out))
    assert again.returncode == 0 and " 0 created, 0 updated" in again.stdout  # everyone is already here


KEYCLOAK_SALT = b"0123456789abcdef"


def keycloak_credential(algorithm: str, iterations: int) -> dict:
    name = "sha1" if algorithm == "pbkdf2" else algorithm.split("-")[1]
    digest = hashlib.pbkdf2_hmac(name, PASSWORD.encode(), KEYCLOAK_SALT, iterations, 64)
    value = base64.b64encode(digest).decode()
    remember_secret(value)
    return {"type": "password", "secretData": json.dumps({"value": value, "salt": base64.b64encode(
        KEYCLOAK_SALT).decode(), "additionalParameters": {}}), "credentialData": json.dumps(
        {"hashIterations": iterations, "algorithm": algorithm, "additionalParameters": {}})}


def test_keycloak_realm_export_with_pbkdf2_otp_links_and_groups(idp, browser, client, tmp_path):
    users = []
    for algorithm, iterations in (("pbkdf2-sha256", 27_500), ("pbkdf2-sha512", 210_000)):
        users.append({"id": str(uuid.uuid4()), "username": f"kc-{uuid.uuid4().hex[:6]}",
                      "email": f"kc-{uuid.uuid4().hex[:8]}@example.com", "emailVerified": True, "enabled": True,
                      "firstName": "Kay", "lastName": "Cloak", "createdTimestamp": 1700000000000,
                      "credentials": [keycloak_credential(algorithm, iterations)],
                      "federatedIdentities": [{"identityProvider": "google", "userId": uuid.uuid4().hex,
                                               "userName": "kay"}],
                      "realmRoles": ["default-roles-acme", "offline_access"], "groups": ["/staff/devs"]})
    otp = "keycloak-otp-secret-text"
    users[0]["credentials"].append({"type": "otp", "secretData": json.dumps({"value": otp}), "credentialData":
                                    json.dumps({"subType": "totp", "digits": 6, "period": 30,
                                                "algorithm": "HmacSHA1", "counter": 0})})
    realm = {"realm": "acme", "users": users}
    result = cli(idp, "import", "--format", "keycloak", write(tmp_path, "acme-realm.json", json.dumps(realm)))
    assert result.returncode == 0, result.stderr + result.stdout
    assert "2 created" in result.stdout
    imported = idp.services.users.by_id(users[1]["id"])
    assert imported.name == "Kay Cloak" and schemes.scheme_of(imported.password_hash) == "pbkdf2-sha512"
    assert idp.services.mfa.is_enrolled(users[0]["id"])
    record = {"id": users[1]["id"], "email": users[1]["email"]}
    signs_in_with_the_old_password(idp, browser, client, record)


def test_auth0_bulk_file_with_bcrypt_and_custom_hashes(idp, browser, client, tmp_path):
    salt = b"auth0-salt-bytes"
    scrypt_hash = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=16384, r=8, p=1, dklen=64)
    users = [
        {"user_id": f"auth0|{uuid.uuid4().hex[:24]}", "email": f"a0-{uuid.uuid4().hex[:8]}@example.com",
         "email_verified": True, "given_name": "Ann", "family_name": "Zero", "password_hash": bcrypt_12()},
        {"user_id": f"auth0|{uuid.uuid4().hex[:24]}", "email": f"a0-{uuid.uuid4().hex[:8]}@example.com",
         "email_verified": True, "custom_password_hash": {
             "algorithm": "scrypt", "hash": {"value": scrypt_hash.hex(), "encoding": "hex"},
             "salt": {"value": base64.b64encode(salt).decode(), "encoding": "base64"},
             "keylen": 64, "cost": 16384, "blockSize": 8, "parallelization": 1}},
        {"user_id": f"auth0|{uuid.uuid4().hex[:24]}", "email": f"a0-{uuid.uuid4().hex[:8]}@example.com",
         "custom_password_hash": {"algorithm": "md5", "hash": {"value": hashlib.md5(PASSWORD.encode()).hexdigest(),
                                                                "encoding": "hex"}}},
    ]
    path = write(tmp_path, "auth0.json", json.dumps(users))
    refused = cli(idp, "import", "--format", "auth0", path)
    assert refused.returncode == 1 and "record 3:" in refused.stderr and "allow-weak-hashes" in refused.stderr
    assert "2 created" in refused.stdout
    signs_in_with_the_old_password(idp, browser, client, {"id": users[1]["user_id"], "email": users[1]["email"]})
    assert idp.services.users.by_id(users[0]["user_id"]).name == "Ann Zero"


def test_imported_user_signs_in_through_the_hosted_pages_in_chromium(idp, chromium, tmp_path):
    record = legacy_user(password=bcrypt_12())
    assert cli(idp, "import", write(tmp_path, "one.jsonl", [record])).returncode == 0
    page = chromium.new_context(locale="en-US").new_page()
    page.goto(idp.endpoint("/login"))
    page.get_by_label("Email").fill(record["email"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(idp.endpoint("/account"))
    assert schemes.scheme_of(idp.services.users.by_id(record["id"]).password_hash) == "argon2id"
    page.context.close()


@pytest.mark.parametrize("fmt", ["keycloak", "auth0"])
def test_a_file_that_is_not_json_is_one_clear_error(idp, tmp_path, fmt):
    result = cli(idp, "import", "--format", fmt, write(tmp_path, "bad.json", '{"users": [{"id": '))
    assert result.returncode == 1 and "not valid JSON" in result.stderr and "Traceback" not in result.stderr
