"""/admin/api/v1/registration-tokens end to end (issue 15), on both live servers: an initial access
token (RFC 7591 3) shown once (201, no-store) that then registers a client; only its hash is stored
and listed (paged); revoking it (If-Match) stops it; bounds and unknown members are problems;
every change audited with the actor, never with the value."""

from __future__ import annotations

import json

import pytest
import requests

from idp.plumbing.security import token_hash
from idp.store.models import InitialAccessToken

from .admin_api import admin_session
from .conftest import REDIRECT_URI, remember_secret
from .test_cli_config import cli_env, run  # noqa: F401  (fixture)

PROBLEM = "application/problem+json"
APP = {"client_name": "Registered with a token", "redirect_uris": [REDIRECT_URI], "response_types": ["code"],
       "grant_types": ["authorization_code"]}


@pytest.fixture
def admin(idp):
    return admin_session(idp)


def register(idp, token: str) -> requests.Response:
    response = requests.post(idp.endpoint("/connect/register"), json=APP, timeout=10,
                             headers={"Authorization": f"Bearer {token}"})
    remember_secret(response.json().get("client_secret") if response.ok else None)
    return response


def created(admin, **body):
    response = admin.post("/registration-tokens", json=body)
    assert response.status_code == 201, response.text
    remember_secret(response.json()["token"])
    return response


def error_names(response) -> set[str]:
    assert response.status_code == 400 and response.headers["Content-Type"] == PROBLEM, response.text
    return {error["name"] for error in response.json()["errors"]}


def test_a_token_is_shown_once_stored_as_its_hash_and_registers_rfc7591_3(idp, admin):
    response = created(admin, uses=2, expires_in=600)
    token = response.json()
    value = token.pop("token")
    assert response.headers["Cache-Control"] == "no-store"
    assert token["id"] == token_hash(value) and token["uses_left"] == 2
    assert response.headers["Location"].endswith(f"/admin/api/v1/registration-tokens/{token['id']}")
    with idp.services.db.session() as session:
        stored = session.get(InitialAccessToken, token["id"])
        assert value not in json.dumps({c.name: str(getattr(stored, c.name)) for c in stored.__table__.columns})
    read = admin.get(f"/registration-tokens/{token['id']}")
    assert read.json() == token and read.headers["ETag"] == response.headers["ETag"] and value not in read.text
    assert register(idp, value).status_code == 201
    assert admin.get(f"/registration-tokens/{token['id']}").json()["uses_left"] == 1
    events = [e for e in idp.services.audit_events.list(action="registration_token.created")
              if e.actor == f"client:{admin.client_id}"]
    assert events and value not in json.dumps([e.as_dict() for e in events])


def test_defaults_one_use_one_day(admin):
    token = created(admin).json()
    assert token["uses_left"] == 1 and token["expires_at"] > token["created_at"]
    assert admin.post("/registration-tokens", data=b"").status_code == 201


def test_the_list_pages_without_values(admin):
    values = [created(admin, expires_in=120).json()["token"] for _ in range(3)]
    listed, cursor = [], None
    while True:
        page = admin.get("/registration-tokens", params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200
        listed += page.json()["items"]
        assert not any(value in page.text for value in values)
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    ids = [item["id"] for item in listed]
    assert {token_hash(value) for value in values} <= set(ids) and ids == sorted(set(ids))
    assert set(listed[0]) == {"id", "uses_left", "expires_at", "created_at"}
    assert error_names(admin.get("/registration-tokens", params={"cursor": "bm90LWEtY3Vyc29y"})) == {"cursor"}


def test_revoking_needs_the_etag_and_stops_the_token(idp, admin):
    response = created(admin, uses=3)
    path, value = f"/registration-tokens/{response.json()['id']}", response.json()["token"]
    assert admin.delete(path).status_code == 428
    assert admin.delete(path, headers={"If-Match": '"stale"'}).status_code == 412
    assert register(idp, value).status_code == 201  # a use spent: the version read before is stale now
    assert admin.delete(path, headers={"If-Match": response.headers["ETag"]}).status_code == 412
    assert admin.delete(path, headers={"If-Match": admin.get(path).headers["ETag"]}).status_code == 204
    assert register(idp, value).status_code == 401
    assert admin.get(path).status_code == 404
    assert admin.delete(path, headers={"If-Match": response.headers["ETag"]}).status_code == 404
    assert admin.get("/registration-tokens/not-a-hash").status_code == 404
    events = [e for e in idp.services.audit_events.list(action="registration_token.deleted")
              if e.actor == f"client:{admin.client_id}"]
    assert events and value not in json.dumps([e.as_dict() for e in events])


def test_bad_requests_are_problems(idp, admin):
    for body, names in (({"uses": 0}, {"uses"}), ({"uses": 10_001}, {"uses"}), ({"uses": "1"}, {"uses"}),
                        ({"uses": True}, {"uses"}), ({"expires_in": 59}, {"expires_in"}),
                        ({"expires_in": 30 * 86400 + 1}, {"expires_in"}), ({"expires_in": 1.5}, {"expires_in"}),
                        ({"uses": -1, "expires_in": 10**30}, {"uses", "expires_in"}), ({"token": "x"}, {"token"}),
                        ([], {"body"})):
        assert error_names(admin.post("/registration-tokens", json=body)) == names, body
    assert admin.post("/registration-tokens", data="uses=1").status_code == 415
    reader = admin_session(idp, scope="admin:read")
    assert reader.get("/registration-tokens").status_code == 200
    assert reader.post("/registration-tokens", json={}).status_code == 403


def test_the_cli_makes_its_tokens_through_the_same_service(cli_env):
    made = run(["clients", "registration-token", "--uses", "2", "--expires", "15m"], cli_env)
    assert made.returncode == 0, made.stderr
    assert len(made.stdout.strip()) >= 40
    assert run(["clients", "registration-token", "--expires", "31d"], cli_env).returncode == 2  # over 30 days
    events = run(["audit", "list", "--action", "registration_token.created", "--json"], cli_env)
    assert events.returncode == 0 and '"cli"' in events.stdout and made.stdout.strip() not in events.stdout
