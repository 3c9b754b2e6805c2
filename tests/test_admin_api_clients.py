"""/admin/api/v1/clients and /admin/api/v1/keys end to end (issue 15), on both live servers: scopes,
If-Match (428 / 412), problem details naming every wrong field, 409 on a taken client_id, the secret
shown once, the previous secret valid during the grace and refused after, key rotation, retirement
and revocation; every answer below 500 (AdminSession asserts it)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests
from sqlalchemy import update

from idp.store.models import Client, utcnow

from .admin_api import admin_session
from .conftest import REDIRECT_URI, remember_secret

PROBLEM = "application/problem+json"


@pytest.fixture
def admin(idp):
    return admin_session(idp)


def service_client(**extra) -> dict:
    return {"client_name": "Nightly export", "grant_types": ["client_credentials"], "scope": "api:read", **extra}


def created(admin, body: dict):
    response = admin.post("/clients", json=body)
    assert response.status_code == 201, response.text
    remember_secret(response.json().get("client_secret"))
    return response


def token_status(idp, client_id: str, secret: str) -> int:
    return requests.post(idp.endpoint("/token"), auth=(client_id, secret), timeout=10,
                         data={"grant_type": "client_credentials"}).status_code


def end_grace(idp, client_id: str) -> None:
    """What the clock does after grace_seconds, done at once (tests never wait on time)."""
    with idp.services.db.session() as session:
        session.execute(update(Client).where(Client.client_id == client_id)
                        .values(previous_secret_expires_at=utcnow() - dt.timedelta(seconds=1)))


def error_names(response) -> set[str]:
    assert response.status_code == 400 and response.headers["Content-Type"] == PROBLEM, response.text
    return {error["name"] for error in response.json()["errors"]}


def test_reading_needs_admin_read_and_writing_admin_write_rfc6750_3_1(idp):
    reader = admin_session(idp, scope="admin:read")
    assert reader.get("/clients").status_code == 200 and reader.get("/keys").status_code == 200
    for response in (reader.post("/clients", json=service_client()), reader.post("/keys/rotate", json={}),
                     reader.post("/keys/some-kid/revoke")):
        assert response.status_code == 403 and response.json()["code"] == "insufficient_scope"
        assert 'scope="admin:write"' in response.headers["WWW-Authenticate"]
    anonymous = requests.get(idp.endpoint("/admin/api/v1/clients"), timeout=10)
    assert anonymous.status_code == 401 and anonymous.headers["Content-Type"] == PROBLEM


def test_create_shows_the_secret_once_then_reads_and_lists_without_it(idp, admin):
    response = created(admin, {"client_name": "Web app", "redirect_uris": [REDIRECT_URI], "trusted": True})
    client = response.json()
    secret = client.pop("client_secret")
    assert secret and client["token_endpoint_auth_method"] == "client_secret_basic" and client["trusted"]
    assert response.headers["Location"].endswith(f"/admin/api/v1/clients/{client['client_id']}")
    assert response.headers["Cache-Control"] == "no-store"
    read = admin.get(f"/clients/{client['client_id']}")
    assert read.headers["ETag"] == response.headers["ETag"]
    assert read.json() == {**client, "active_grants": 0}
    listed, cursor = [], None
    while True:
        page = admin.get("/clients", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        listed += page["items"]
        if page["next_cursor"] is None:
            break
        cursor = page["next_cursor"]
    assert [c["client_id"] for c in listed].count(client["client_id"]) == 1
    assert secret not in read.text + json.dumps(listed)
    events = idp.services.audit_events.list(client_id=client["client_id"])
    assert events and secret not in json.dumps([e.as_dict() for e in events])


def test_bad_metadata_is_a_problem_naming_each_field_rfc9457_3_rfc7591_3_2_2(admin):
    response = admin.post("/clients", json={"client_name": "Bad", "redirect_uris": ["http://app.example/cb#x"],
                                             "logo_uri": 5, "contacts": "ops@example.com"})
    assert error_names(response) == {"redirect_uris", "logo_uri", "contacts"}
    pointers = {e["name"]: e.get("pointer") for e in response.json()["errors"]}
    assert pointers["logo_uri"] == "/logo_uri"
    assert error_names(admin.post("/clients", json={"client_name": "Bad", "redirect_uri": REDIRECT_URI})) == {
        "redirect_uri"}
    assert error_names(admin.post("/clients", json=service_client(token_endpoint_auth_method="none"))) == {
        "grant_types"}
    assert error_names(admin.post("/clients", json=service_client(scope="admin:read"))) == {"scope"}
    assert error_names(admin.post("/clients", json={"client_name": "n" * 256, "redirect_uris": [REDIRECT_URI]})) == {
        "client_name"}  # longer than its column: a 400, not a database error
    assert error_names(admin.post("/clients", json=[1, 2])) == {"body"}
    assert admin.post("/clients", data="client_name=x").status_code == 415


def test_a_chosen_client_id_is_unique_409(admin):
    created(admin, service_client(client_id="export-job-" + admin.client_id[:8]))
    again = admin.post("/clients", json=service_client(client_id="export-job-" + admin.client_id[:8]))
    assert again.status_code == 409 and again.json()["errors"][0]["name"] == "client_id"
    assert error_names(admin.post("/clients", json=service_client(client_id="no spaces"))) == {"client_id"}


def test_changes_need_the_current_etag_428_412_rfc6585_3_rfc9110_13_1_1(admin):
    client = created(admin, service_client())
    path, tag = f"/clients/{client.json()['client_id']}", client.headers["ETag"]
    for call in (lambda h: admin.patch(path, json={"client_name": "x"}, headers=h),
                 lambda h: admin.delete(path, headers=h),
                 lambda h: admin.post(path + "/secret", json={"grace_seconds": 60}, headers=h)):
        assert call({}).status_code == 428
        assert call({"If-Match": '"stale"'}).status_code == 412
    changed = admin.patch(path, json={"client_name": "Renamed", "client_uri": "https://app.example"},
                          headers={"If-Match": tag, "Content-Type": "application/merge-patch+json"})
    assert changed.status_code == 200 and changed.json()["client_name"] == "Renamed"
    assert changed.headers["ETag"] != tag
    assert admin.patch(path, json={"client_name": "Lost update"}, headers={"If-Match": tag}).status_code == 412
    removed = admin.patch(path, json={"client_uri": None}, headers={"If-Match": changed.headers["ETag"]})
    assert "client_uri" not in removed.json()
    assert error_names(admin.patch(path, json={"token_endpoint_auth_method": "none", "tos_uri": 1},
                                   headers={"If-Match": removed.headers["ETag"]})) == {
        "token_endpoint_auth_method", "tos_uri"}
    assert admin.delete(path, headers={"If-Match": removed.headers["ETag"]}).status_code == 204
    for response in (admin.get(path), admin.delete(path, headers={"If-Match": tag}),
                     admin.post(path + "/secret", headers={"If-Match": tag})):
        assert response.status_code == 404 and response.headers["Content-Type"] == PROBLEM


def test_rotated_secret_shown_once_old_one_valid_during_the_grace_and_refused_after_rfc9700_2_5(idp, admin):
    client = created(admin, service_client())
    client_id, old = client.json()["client_id"], client.json()["client_secret"]
    rotated = admin.post(f"/clients/{client_id}/secret", json={"grace_seconds": 3600},
                         headers={"If-Match": client.headers["ETag"]})
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["client_secret"]
    remember_secret(new)
    assert new != old and rotated.json()["previous_secret_expires_at"]
    assert new not in admin.get(f"/clients/{client_id}").text
    assert token_status(idp, client_id, old) == 200 and token_status(idp, client_id, new) == 200
    end_grace(idp, client_id)
    assert token_status(idp, client_id, old) == 401 and token_status(idp, client_id, new) == 200
    at_once = admin.post(f"/clients/{client_id}/secret", headers={"If-Match": admin.get(f"/clients/{client_id}")
                                                                   .headers["ETag"]})
    remember_secret(at_once.json()["client_secret"])
    assert at_once.json()["previous_secret_expires_at"] is None and token_status(idp, client_id, new) == 401
    events = [e for e in idp.services.audit_events.list(client_id=client_id) if e.action == "client.secret_rotated"]
    assert len(events) == 2 and all(e.actor == f"client:{admin.client_id}" for e in events)
    assert not {old, new} & set(json.dumps([e.as_dict() for e in events]).split('"'))


def test_rotation_refusals(admin):
    client = created(admin, service_client())
    path, tag = f"/clients/{client.json()['client_id']}/secret", client.headers["ETag"]
    for grace in ("60", -1, 10**9, True):
        assert error_names(admin.post(path, json={"grace_seconds": grace}, headers={"If-Match": tag})) == {
            "grace_seconds"}
    public = created(admin, {"client_name": "SPA", "redirect_uris": [REDIRECT_URI],
                             "token_endpoint_auth_method": "none"})
    assert error_names(admin.post(f"/clients/{public.json()['client_id']}/secret",
                                  headers={"If-Match": public.headers["ETag"]})) == {"token_endpoint_auth_method"}


def test_a_client_shows_its_active_grants(idp, admin):
    client_id = created(admin, {"client_name": "Grants", "redirect_uris": [REDIRECT_URI]}).json()["client_id"]
    user = idp.create_user()
    for family in ("one", "two"):
        idp.services.refresh_tokens.issue(f"rt-{family}-{client_id}", f"{family}-{client_id}", client_id, user.id,
                                          "openid offline_access", 0, 3600)
    assert admin.get(f"/clients/{client_id}").json()["active_grants"] == 1  # one user, two refresh families
    idp.services.consents.grant(idp.create_user().id, client_id, {"openid"})
    assert admin.get(f"/clients/{client_id}").json()["active_grants"] == 2


def test_keys_list_rotate_retire_revoke(idp, admin):
    keys = admin.get("/keys").json()["items"]
    current = next(k for k in keys if k["state"] == "current" and k["alg"] == "RS256")
    assert current["published"] and current["created_at"].endswith("Z")
    assert set(current) == {"kid", "alg", "state", "published", "created_at", "promoted_at", "retired_at",
                            "retire_until"}  # public facts only
    rotated = admin.post("/keys/rotate", json={"alg": "RS256", "force": True})
    assert rotated.status_code == 200 and rotated.json()["state"] == "current"
    assert rotated.json()["kid"] != current["kid"]
    stale = admin.post("/keys/rotate", json={"expected_current": current["kid"], "force": True})
    assert stale.status_code == 412
    too_early = admin.post("/keys/rotate")  # the next key was published a moment ago
    assert too_early.status_code == 409 and too_early.json()["code"] == "too_early"
    assert error_names(admin.post("/keys/rotate", json={"alg": "HS256"})) == {"alg"}
    states = {k["kid"]: k["state"] for k in admin.get("/keys").json()["items"]}
    assert states[current["kid"]] == "retired"
    upcoming = next(kid for kid, state in states.items() if state == "next")  # it never signed: safe to end
    assert admin.post(f"/keys/{upcoming}/revoke").json()["state"] == "revoked"
    assert upcoming not in requests.get(idp.endpoint("/jwks.json"), timeout=10).text
    assert admin.post(f"/keys/{upcoming}/revoke").status_code == 404
    assert admin.post("/keys/no-such-kid/retire").status_code == 404
    events = idp.services.audit_events.list(actor=f"client:{admin.client_id}")
    actions = {(e.action, e.details.get("kid")) for e in events}
    assert ("key.rotated", rotated.json()["kid"]) in actions and ("key.revoked", upcoming) in actions
