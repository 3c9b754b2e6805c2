"""/admin/api/v1/admins end to end (issue 15): granting (idempotent), listing in pages, revoking
with If-Match, audited with the actor; the last administrator is never revoked (409), not even by
two revocations at once (a fresh PostgreSQL database, so that nobody else's administrators count)."""

from __future__ import annotations

import concurrent.futures

import pytest
import requests

from .admin_api import admin_session
from .conftest import start_idp
from .test_cli_config import cli_env, run  # noqa: F401  (fixture)

PROBLEM = "application/problem+json"


@pytest.fixture
def admin(idp):
    return admin_session(idp)


def test_grant_read_list_revoke_audited(idp, admin):
    assert admin.put(f"/admins/{idp.create_user().id}").status_code == 201  # another: never revoke the last
    user = idp.create_user()
    granted = admin.put(f"/admins/{user.id}")
    assert granted.status_code == 201, granted.text
    body = granted.json()
    assert body["user_id"] == user.id and body["email"] == user.email and body["second_factor"] is False
    assert body["granted_by"] == f"client:{admin.client_id}" and granted.headers["Location"].endswith(
        f"/admin/api/v1/admins/{user.id}")
    again = admin.put(f"/admins/{user.id}")
    assert again.status_code == 200 and again.json() == body and again.headers["ETag"] == granted.headers["ETag"]
    assert idp.services.administrators.is_administrator(user.id)
    listed, cursor = [], None
    while True:
        page = admin.get("/admins", params={"limit": 1, **({"cursor": cursor} if cursor else {})}).json()
        listed += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [a["user_id"] for a in listed].count(user.id) == 1 and len(listed) >= 2
    path = f"/admins/{user.id}"
    assert admin.delete(path).status_code == 428
    assert admin.delete(path, headers={"If-Match": '"stale"'}).status_code == 412
    assert admin.delete(path, headers={"If-Match": granted.headers["ETag"]}).status_code == 204
    assert not idp.services.administrators.is_administrator(user.id)
    assert admin.get(path).status_code == 404
    assert admin.delete(path, headers={"If-Match": granted.headers["ETag"]}).status_code == 404
    events = {e.action: e for e in idp.services.audit_events.list(user_id=user.id)}
    assert events["admin.granted"].actor == events["admin.revoked"].actor == f"client:{admin.client_id}"


def test_unknown_users_and_scopes(idp, admin):
    for response in (admin.put("/admins/no-such-user"), admin.put("/admins/" + "x" * 40),
                     admin.get("/admins/no-such-user")):
        assert response.status_code == 404 and response.headers["Content-Type"] == PROBLEM
    assert admin.get("/admins", params={"cursor": "WzEsMl0"}).status_code == 400
    reader = admin_session(idp, scope="admin:read")
    assert reader.get("/admins").status_code == 200
    refused = reader.put(f"/admins/{idp.create_user().id}")
    assert refused.status_code == 403 and refused.json()["code"] == "insufficient_scope"
    assert requests.get(idp.endpoint("/admin/api/v1/admins"), timeout=10).status_code == 401


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    live, stop = start_idp("postgres", tmp_path_factory, database_suffix="_admins")
    yield live
    stop()


def test_the_last_administrator_is_never_revoked_even_by_two_at_once(fresh):
    admin = admin_session(fresh)
    first, second = fresh.create_user(), fresh.create_user()
    only = admin.put(f"/admins/{first.id}")
    refused = admin.delete(f"/admins/{first.id}", headers={"If-Match": only.headers["ETag"]})
    assert refused.status_code == 409 and refused.json()["code"] == "conflict"
    assert "last administrator" in refused.json()["detail"]
    for attempt in range(5):
        tags = {user.id: admin.put(f"/admins/{user.id}").headers["ETag"] for user in (first, second)}
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            statuses = sorted(pool.map(lambda uid: admin.delete(f"/admins/{uid}", headers={"If-Match": tags[uid]})
                                       .status_code, list(tags)))
        assert statuses == [204, 409], (attempt, statuses)
        assert len(admin.get("/admins").json()["items"]) == 1


def test_idp_admins_revoke_keeps_the_last_administrator_too(cli_env):
    for email in ("first@example.com", "second@example.com"):
        made = run(["users", "create", "--email", email, "--password-stdin"], cli_env, stdin="s3cret-password\n")
        assert made.returncode == 0, made.stderr
        assert run(["admins", "grant", "--email", email], cli_env).returncode == 0
    assert run(["admins", "revoke", "--email", "first@example.com"], cli_env).returncode == 0
    refused = run(["admins", "revoke", "--email", "second@example.com"], cli_env)
    assert refused.returncode == 1 and "last administrator" in refused.stderr
    assert "second@example.com" in run(["admins", "list"], cli_env).stdout
