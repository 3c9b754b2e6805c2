"""Every entry that sets claim mappings or user metadata (issue 35) refuses what breaks a rule: a
reserved claim (RFC 7519 4.1, RFC 9068 2.2, OpenID Connect Core 2 / 5.1, and the server's own) from
the admin API (problem+json, RFC 9457), the CLI (an error, no trace) and RFC 7591 / 7592 requests
(invalid_client_metadata: mappings are an administrator's only); metadata that is not an object, too
large or too deep; and the CLI and import/export carry metadata."""

from __future__ import annotations

import json

import pytest
import requests

from ..admin_api import admin_session
from ..apis_helpers import uid
from ..test_apis_cli import cli, ok, refused
from ..test_registration import WEB_APP, register

PROBLEM = "application/problem+json"
RESERVED = ["sub", "iss", "aud", "exp", "scope", "client_id", "cnf", "act", "nonce", "org_id", "roles", "groups",
            "email", "Sub", "plan_overage"]


def problem_errors(response) -> dict:
    assert response.status_code == 400 and response.headers["Content-Type"] == PROBLEM, response.text
    return {e["name"]: e["detail"] for e in response.json()["errors"]}


@pytest.mark.parametrize("claim", RESERVED)
def test_admin_api_refuses_a_mapping_of_a_reserved_claim_on_an_api_and_a_client_rfc9457(idp, claim):
    admin = admin_session(idp)
    mapping = [{"claim": claim, "from": "app_metadata.plan"}]
    created = admin.post("/apis", json={"identifier": f"https://r-{uid()}.example.com/", "name": "R",
                                        "claim_mappings": mapping})
    assert "reserved" in problem_errors(created)["claim_mappings"]
    client, _ = idp.create_client()
    read = admin.get(f"/clients/{client.client_id}")
    changed = admin.patch(f"/clients/{client.client_id}", json={"claim_mappings": mapping},
                          headers={"If-Match": read.headers["ETag"]})
    assert "reserved" in problem_errors(changed)["claim_mappings"]
    assert idp.services.clients.get(client.client_id, fresh=True).claim_mappings == ()


@pytest.mark.parametrize("mappings", [
    "plan", [{"claim": "plan"}], [{"claim": "plan", "from": "password_hash"}], [{"claim": "plan", "from": "user.id"}],
    [{"claim": "p lan", "from": "groups"}], [{"claim": "plan", "from": "groups", "extra": 1}],
    [{"claim": "plan", "from": "groups"}, {"claim": "plan", "from": "user.email"}],
    [{"claim": "plan", "from": "groups", "scope": "two words"}], [{"claim": "a", "from": "groups"}] * 51,
])
def test_admin_api_names_a_malformed_mapping(idp, mappings):
    admin = admin_session(idp)
    created = admin.post("/apis", json={"identifier": f"https://m-{uid()}.example.com/", "name": "M",
                                        "claim_mappings": mappings})
    assert "claim_mappings" in problem_errors(created)


def test_registrants_may_not_set_claim_mappings_rfc7591_3_2_2_and_rfc7592_2_2(idp):
    token = idp.services.initial_access_tokens.create(600, uses=2)
    mapped = {**WEB_APP, "claim_mappings": [{"claim": "plan", "from": "app_metadata.plan"}]}
    response = register(idp, mapped, token)
    assert response.status_code == 400 and response.json()["error"] == "invalid_client_metadata"
    assert "administrator" in response.json()["error_description"]
    body = register(idp, WEB_APP, token).json()
    uri, auth = body["registration_client_uri"], {"Authorization": f"Bearer {body['registration_access_token']}"}
    update = requests.put(uri, headers=auth, timeout=5,
                          json={**mapped, "client_id": body["client_id"],
                                "claim_mappings": [{"claim": "sub", "from": "app_metadata.plan"}]})
    assert update.status_code == 400 and update.json()["error"] == "invalid_client_metadata"
    assert "claim_mappings" not in requests.get(uri, headers=auth, timeout=5).json()


@pytest.mark.parametrize(("metadata", "why"), [
    ("gold", "object"), ([1, 2], "object"), (7, "object"),
    ({"a": "x" * 20_000}, "bytes"),
    ({"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {"j": {"k": 1}}}}}}}}}}}, "nested"),
])
def test_metadata_must_be_a_bounded_object(idp, metadata, why):
    admin = admin_session(idp)
    user = idp.create_user()
    for kind in ("app_metadata", "user_metadata"):
        read = admin.get(f"/users/{user.id}")
        changed = admin.patch(f"/users/{user.id}", json={kind: metadata}, headers={"If-Match": read.headers["ETag"]})
        assert why in problem_errors(changed)[kind]
    created = admin.post("/users", json={"email": f"m-{uid()}@example.com", "app_metadata": metadata})
    assert why in problem_errors(created)["app_metadata"]


def test_metadata_in_the_admin_api_representation_changes_the_etag(idp):
    admin = admin_session(idp)
    created = admin.post("/users", json={"email": f"n-{uid()}@example.com", "app_metadata": {"plan": "gold"}})
    assert created.status_code == 201, created.text
    assert created.json()["app_metadata"] == {"plan": "gold"} and created.json()["user_metadata"] == {}
    changed = admin.patch(f"/users/{created.json()['id']}", json={"user_metadata": {"tier": 2}},
                          headers={"If-Match": created.headers["ETag"]})
    assert changed.status_code == 200 and changed.json()["user_metadata"] == {"tier": 2}
    assert changed.headers["ETag"] != created.headers["ETag"]
    stale = admin.patch(f"/users/{created.json()['id']}", json={"app_metadata": None},
                        headers={"If-Match": created.headers["ETag"]})
    assert stale.status_code == 412
    cleared = admin.patch(f"/users/{created.json()['id']}", json={"app_metadata": None},
                          headers={"If-Match": changed.headers["ETag"]})
    assert cleared.json()["app_metadata"] == {}


def test_cli_sets_metadata_and_mappings_and_refuses_reserved_claims(idp):
    user = idp.create_user()
    shown = json.loads(ok(idp, "users", "metadata", "--email", user.email, "--app", '{"plan": "gold"}'))
    assert shown == {"app_metadata": {"plan": "gold"}, "user_metadata": {}}
    assert idp.services.users.record(user.id).app_metadata == {"plan": "gold"}
    assert "object" in refused(idp, "users", "metadata", "--email", user.email, "--user", "[1]")
    assert "not JSON" in refused(idp, "users", "metadata", "--email", user.email, "--user", "{")

    ident = f"https://cli-claims-{uid()}.example.com/"
    ok(idp, "apis", "create", "--identifier", ident, "--name", "Claims API")
    ok(idp, "apis", "claims", ident, "--map", "plan=app_metadata.plan", "--map", "contact=user.email@billing")
    assert idp.services.apis.api(ident).claim_mappings == (
        {"claim": "plan", "from": "app_metadata.plan"}, {"claim": "contact", "from": "user.email", "scope": "billing"})
    assert "reserved" in refused(idp, "apis", "claims", ident, "--map", "aud=app_metadata.plan")
    client, _ = idp.create_client()
    ok(idp, "clients", "claims", client.client_id, "--map", "tier=user_metadata.tier")
    assert idp.services.clients.get(client.client_id, fresh=True).claim_mappings == (
        {"claim": "tier", "from": "user_metadata.tier"},)
    assert "reserved" in refused(idp, "clients", "claims", client.client_id, "--map", "nonce=groups")
    ok(idp, "clients", "claims", client.client_id, "--clear")
    assert idp.services.clients.get(client.client_id, fresh=True).claim_mappings == ()
    assert cli(idp, "clients", "claims", client.client_id).returncode != 0  # neither --map nor --clear


def test_import_carries_metadata_within_its_bounds_and_export_round_trips(idp):
    """docs/user-import.schema.json: app_metadata / user_metadata, checked as at every other entry."""
    from idp.migration.export import export_records
    from idp.migration.readers import auth0_user
    from idp.migration.writer import UserImporter

    svc = idp.services
    good, auth0 = f"imp-{uid()}@example.com", f"a0-{uid()}@example.com"
    items = [(1, {"email": good, "app_metadata": {"plan": "gold", "seats": [1, 2]}, "user_metadata": {"tier": 1}}),
             (2, {"email": f"bad-{uid()}@example.com", "app_metadata": ["not", "an", "object"]}),
             (3, {"email": f"big-{uid()}@example.com", "user_metadata": {"a": "x" * 20_000}}),
             (4, auth0_user({"email": auth0, "user_id": f"auth0|{uid()}", "app_metadata": {"roles": ["x"]},
                             "user_metadata": {"lang": "fr"}}))]
    report = UserImporter(svc.db, svc.config.key_encryption_key, svc.users,
                          metadata_max_bytes=svc.config.user_metadata_max_bytes).run(items)
    assert report.created == 2 and report.failed == 2, report.as_dict()
    assert {p for p, _ in report.errors} == {2, 3}
    assert any("app_metadata" in reason and "object" in reason for _, reason in report.errors)
    imported = svc.users.record(svc.users.by_email(good).id)
    assert imported.app_metadata == {"plan": "gold", "seats": [1, 2]} and imported.user_metadata == {"tier": 1}
    assert svc.users.record(svc.users.by_email(auth0).id).app_metadata == {"roles": ["x"]}
    exported = {r["email"]: r for r in export_records(svc.db, svc.config.key_encryption_key)}
    assert exported[good]["app_metadata"] == {"plan": "gold", "seats": [1, 2]}
    assert exported[good]["user_metadata"] == {"tier": 1}
    assert exported[auth0]["user_metadata"] == {"lang": "fr"}
