"""The administration service layer for clients and keys (issue 15), against real PostgreSQL and Redis
behind a live IdP: what it refuses, what it stores, what the token endpoint then accepts, what the
audit trail says."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests
from flask import g
from sqlalchemy import text

from idp.administration import Actor
from idp.administration.clients import client_version
from idp.administration.errors import Duplicate, Invalid, NotFound, PreconditionFailed
from idp.administration.keys import KeyAdmin, TooEarly
from idp.oauth.client_metadata import client_admin

from .conftest import REDIRECT_URI, remember_secret

ACTOR = Actor.client("test-admin")
pytestmark = pytest.mark.parametrize("idp", ["postgres"], indirect=True)  # the session's PostgreSQL + Redis IdP


@pytest.fixture
def pg(idp):
    return idp


@contextlib.contextmanager
def acting(pg):
    """What the admin API gives the service layer: a request (its id goes with each audit event, as
    the log pipeline expects) of the app whose services the audit trail writes through."""
    with pg.app.test_request_context():
        g.request_id = f"admin-service-test-{uuid.uuid4().hex[:8]}"
        yield


@pytest.fixture
def admin(pg):
    with acting(pg):
        yield client_admin(pg.services)


def service_metadata(**extra) -> dict:
    return {"client_name": "Service", "grant_types": ["client_credentials"], "scope": "api:read", **extra}


def create(admin, metadata: dict):
    client, secret = admin.create(ACTOR, metadata)
    remember_secret(secret)
    return client, secret


def token_status(pg, client_id: str, secret: str) -> int:
    return requests.post(pg.endpoint("/token"), auth=(client_id, secret), timeout=5,
                         data={"grant_type": "client_credentials"}).status_code


def audit_rows(pg, client_id: str) -> list[dict]:
    return [entry.as_dict() for entry in pg.services.audit_events.list(limit=50) if entry.client_id == client_id]


def test_create_checks_like_a_registration_and_names_every_wrong_field_rfc7591_3_2_2(admin):
    with pytest.raises(Invalid) as refused:
        admin.create(ACTOR, {"client_name": "Bad", "redirect_uris": ["http://app.example/cb"], "logo_uri": 7,
                             "grant_types": ["authorization_code"], "redirect_uri": "typo"})
    assert set(refused.value.errors) == {"redirect_uri"}  # an unknown field first: a typo is not ignored
    with pytest.raises(Invalid) as refused:
        admin.create(ACTOR, {"client_name": "Bad", "redirect_uris": ["http://app.example/cb"], "logo_uri": 7,
                      "contacts": "ops@example.com"})
    assert set(refused.value.errors) == {"redirect_uris", "logo_uri", "contacts"}
    with pytest.raises(Invalid) as refused:
        admin.create(ACTOR, {"client_name": "Bad", "grant_types": ["client_credentials"],
                      "token_endpoint_auth_method": "none"})
    assert set(refused.value.errors) == {"grant_types"}
    with pytest.raises(Invalid) as refused:
        admin.create(ACTOR, {"client_name": "Bad", "redirect_uris": [REDIRECT_URI], "trusted": "yes",
                             "client_id": "with space", "tos_uri": 1})
    assert set(refused.value.errors) == {"trusted", "client_id", "tos_uri"}


def test_create_returns_the_secret_once_and_stores_only_its_hash(pg, admin):
    client, secret = create(admin, {"client_name": "Web", "redirect_uris": [REDIRECT_URI], "trusted": True,
                                    "post_logout_redirect_uris": ["https://app.example/bye"]})
    assert secret and client.trusted and client.version == 1 and client_version(client)
    with pg.services.db.session() as session:
        row = session.execute(text("SELECT * FROM clients WHERE client_id = :id"), {"id": client.client_id}).one()
    assert secret not in json.dumps([str(v) for v in row])
    shown = json.dumps(admin.get(client.client_id).client_metadata)
    assert secret not in shown
    entry = audit_rows(pg, client.client_id)[0]
    assert entry["action"] == "client.created" and "redirect_uris" in entry["details"]["fields"]
    assert secret not in json.dumps(entry)


def test_a_chosen_client_id_is_unique(admin):
    create(admin, service_metadata(client_id="reporting-job"))
    with pytest.raises(Duplicate):
        admin.create(ACTOR, service_metadata(client_id="reporting-job"))
    with pytest.raises(Invalid) as refused:
        admin.create(ACTOR, service_metadata(client_id="has space"))
    assert set(refused.value.errors) == {"client_id"}


def test_list_pages_by_keyset_each_client_once(admin):
    made = [create(admin, service_metadata(client_name=f"Paged {n}"))[0].client_id for n in range(5)]
    seen, cursor = [], None
    while True:
        page = admin.list(after=cursor, limit=2)
        assert len(page.items) <= 2
        seen += [c.client_id for c in page.items]
        if page.next_key is None:
            break
        cursor = page.next_key
    assert len(seen) == len(set(seen)) and [c for c in seen if c in made] == made
    for limit in (0, 501, "5", True):
        with pytest.raises(Invalid):
            admin.list(limit=limit)
    for after in (["not-a-date", "x"], ["2026-01-01T00:00:00"], [None, None], "text",
                  ["0001-01-01T00:00:00+14:00", "x"]):
        with pytest.raises(Invalid):
            admin.list(after=after, limit=2)


def test_update_is_a_merge_patch_checked_like_a_registration(admin):
    client, _ = create(admin, {"client_name": "Patched", "redirect_uris": [REDIRECT_URI],
                               "client_uri": "https://app.example"})
    updated = admin.update(ACTOR, client.client_id, {"client_name": "Renamed", "client_uri": None,
                                              "grant_types": ["client_credentials"], "redirect_uris": []})
    assert updated.name == "Renamed" and "client_uri" not in updated.client_metadata
    assert updated.response_types == () and updated.version == client.version + 1
    with pytest.raises(Invalid) as refused:
        admin.update(ACTOR, client.client_id, {"redirect_uris": ["http://app.example/cb"], "tos_uri": 3})
    assert set(refused.value.errors) == {"redirect_uris", "tos_uri"}
    with pytest.raises(Invalid) as refused:
        admin.update(ACTOR, client.client_id, {"token_endpoint_auth_method": "none"})
    assert set(refused.value.errors) == {"token_endpoint_auth_method"}
    with pytest.raises(NotFound):
        admin.update(ACTOR, "no-such-client", {"client_name": "x"})


def test_update_refuses_a_stale_version_rfc9110_13_1_1(admin):
    client, _ = create(admin, service_metadata())
    admin.update(ACTOR, client.client_id, {"client_name": "First"}, client_version(client))
    with pytest.raises(PreconditionFailed):
        admin.update(ACTOR, client.client_id, {"client_name": "Second"}, client_version(client))
    assert admin.get(client.client_id).name == "First"


def test_concurrent_updates_of_one_version_let_exactly_one_win(admin, pg):
    client, _ = create(admin, service_metadata())
    outcomes, barrier = [], threading.Barrier(4)

    def edit(n):
        with acting(pg):
            barrier.wait()
            try:
                admin.update(ACTOR, client.client_id, {"client_name": f"Editor {n}"}, client_version(client))
                outcomes.append("won")
            except PreconditionFailed:
                outcomes.append("refused")

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["refused"] * 3 + ["won"]
    assert admin.get(client.client_id).version == client.version + 1


def test_update_and_delete_are_audited_with_what_changed(pg, admin):
    client, _ = create(admin, service_metadata())
    admin.update(ACTOR, client.client_id, {"client_name": "Audited", "trusted": True})
    with pytest.raises(PreconditionFailed):
        admin.delete(ACTOR, client.client_id, client_version(client))
    admin.delete(ACTOR, client.client_id)
    with pytest.raises(NotFound):
        admin.delete(ACTOR, client.client_id)
    actions = {e["action"]: e for e in audit_rows(pg, client.client_id)}
    assert set(actions) == {"client.created", "client.updated", "client.deleted"}
    assert actions["client.updated"]["details"]["changed"] == ["client_name", "trusted"]
    assert all(ACTOR.label in json.dumps(e) for e in actions.values())


def test_rotated_secret_keeps_the_old_one_valid_during_the_grace_only_rfc9700_2_5(pg, admin):
    client, old = create(admin, service_metadata())
    assert token_status(pg, client.client_id, old) == 200
    rotated, new = admin.rotate_secret(ACTOR, client.client_id, 3600)
    remember_secret(new)
    assert new != old and rotated.previous_secret_live
    assert token_status(pg, client.client_id, new) == 200
    assert token_status(pg, client.client_id, old) == 200  # during the grace
    with pg.services.db.session() as session:  # the grace period ends
        session.execute(text("UPDATE clients SET previous_secret_expires_at = now() AT TIME ZONE 'UTC' "
                             "- interval '1 second' WHERE client_id = :id"), {"id": client.client_id})
    assert token_status(pg, client.client_id, old) == 401
    assert token_status(pg, client.client_id, new) == 200
    entry = next(e for e in audit_rows(pg, client.client_id) if e["action"] == "client.secret_rotated")
    assert entry["details"]["grace_seconds"] == 3600 and new not in json.dumps(entry) and old not in json.dumps(entry)


def test_rotation_without_grace_refuses_the_old_secret_at_once_and_two_rotations_keep_two_secrets(pg, admin):
    client, first = create(admin, service_metadata())
    _, second = admin.rotate_secret(ACTOR, client.client_id, 0)
    remember_secret(second)
    assert token_status(pg, client.client_id, first) == 401
    _, third = admin.rotate_secret(ACTOR, client.client_id, 600)
    _, fourth = admin.rotate_secret(ACTOR, client.client_id, 600)
    remember_secret(third, fourth)
    assert [token_status(pg, client.client_id, s) for s in (second, third, fourth)] == [401, 200, 200]


def test_rotation_refuses_what_it_cannot_do(admin):
    public, _ = create(admin, {"client_name": "SPA", "redirect_uris": [REDIRECT_URI],
                               "token_endpoint_auth_method": "none"})
    with pytest.raises(Invalid) as refused:
        admin.rotate_secret(ACTOR, public.client_id, 60)
    assert set(refused.value.errors) == {"token_endpoint_auth_method"}
    client, _ = create(admin, service_metadata())
    for grace in (-1, 31 * 86400, "60", None):
        with pytest.raises(Invalid):
            admin.rotate_secret(ACTOR, client.client_id, grace)
    with pytest.raises(PreconditionFailed):
        admin.rotate_secret(ACTOR, client.client_id, 60, 'stale')
    with pytest.raises(NotFound):
        admin.rotate_secret(ACTOR, "no-such-client", 60)


def test_client_secret_jwt_assertions_with_the_previous_secret_verify_during_the_grace_rfc7523_2_2(pg, admin):
    from joserfc import jwt
    from joserfc.jwk import OctKey

    client, old = create(admin, service_metadata(token_endpoint_auth_method="client_secret_jwt"))
    _, new = admin.rotate_secret(ACTOR, client.client_id, 3600)
    remember_secret(new)

    def assertion_status(secret):
        now = int(time.time())
        claims = {"iss": client.client_id, "sub": client.client_id, "aud": pg.endpoint("/token"),
                  "exp": now + 60, "iat": now, "jti": f"{secret[:6]}-{now}-{time.monotonic_ns()}"}
        signed = jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(secret))
        response = requests.post(pg.endpoint("/token"), timeout=5, data={
            "grant_type": "client_credentials", "client_assertion": signed,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"})
        return response.json().get("error", response.status_code)

    assert assertion_status(new) == 200 and assertion_status(old) == 200
    with pg.services.db.session() as session:
        session.execute(text("UPDATE clients SET previous_secret_expires_at = now() AT TIME ZONE 'UTC' "
                             "- interval '1 second' WHERE client_id = :id"), {"id": client.client_id})
    assert assertion_status(old) == "invalid_client" and assertion_status(new) == 200


def test_active_grants_count_the_users_with_a_consent_or_a_usable_refresh_token(pg, admin):
    client, _ = create(admin, {"client_name": "Grants", "redirect_uris": [REDIRECT_URI]})
    first, second, third = pg.create_user(), pg.create_user(), pg.create_user()
    tokens = pg.services.refresh_tokens
    for user, family in ((first, "a"), (first, "b"), (second, "c")):
        tokens.issue(f"rt-{family}-{client.client_id}", f"{family}-{client.client_id}", client.client_id, user.id,
                     "openid offline_access", 0, 3600)
    tokens.issue(f"rt-old-{client.client_id}", f"old-{client.client_id}", client.client_id, third.id, "openid", 0, -10)
    assert admin.active_grants(client.client_id) == 2  # two families of one user are one grant; expired is none
    tokens.revoke_family(f"c-{client.client_id}")
    assert admin.active_grants(client.client_id) == 1
    pg.services.consents.grant(third.id, client.client_id, {"openid"})
    assert admin.active_grants(client.client_id) == 2


def test_cli_rotate_secret_prints_the_new_secret_once_and_the_grace_end(pg, admin):
    client, old = create(admin, service_metadata())
    # "--" before the id: a random client_id may begin with "-" (base64url), which is not an option
    result = subprocess.run([sys.executable, "-m", "idp.cli", "clients", "rotate-secret", "--grace", "1h", "--json",
                             "--", client.client_id], env=pg.cli_env(), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    remember_secret(shown["client_secret"])
    assert shown["previous_secret_expires_at"] and shown["client_secret"] != old
    assert token_status(pg, client.client_id, old) == 200
    assert token_status(pg, client.client_id, shown["client_secret"]) == 200
    entry = next(e for e in audit_rows(pg, client.client_id) if e["action"] == "client.secret_rotated")
    assert "cli" in json.dumps(entry)
    bad = subprocess.run([sys.executable, "-m", "idp.cli", "clients", "rotate-secret", "--grace", "soon", "--",
                          client.client_id], env=pg.cli_env(), capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--grace" in bad.stderr


def test_keys_list_rotate_retire_revoke_audited(pg):
    keys = KeyAdmin(pg.services)
    with acting(pg):
        listed = {k.kid: k for k in keys.list()}
        current = next(k for k in listed.values() if k.state == "current" and k.alg == "RS256")
        assert current.published and current.as_dict()["created_at"].endswith("Z")
        with pytest.raises(TooEarly):
            keys.rotate(ACTOR, "RS256")  # the next key was published just now
        kid = keys.rotate(ACTOR, "RS256", force=True)
        with pytest.raises(PreconditionFailed):
            keys.rotate(ACTOR, "RS256", expected_current=current.kid, force=True)
        with pytest.raises(Invalid):
            keys.rotate(ACTOR, "HS256")
        states = {k.kid: k.state for k in keys.list()}
        assert states[current.kid] == "retired" and states[kid] == "current"
        keys.revoke(ACTOR, current.kid)
        with pytest.raises(NotFound):
            keys.revoke(ACTOR, current.kid)
        with pytest.raises(NotFound):
            keys.retire(ACTOR, "no-such-kid")
        assert {k.kid: k for k in keys.list()}[current.kid].published is False
    actions = [(e.action, e.details.get("kid")) for e in pg.services.audit_events.list(limit=20)]
    assert ("key.rotated", kid) in actions and ("key.revoked", current.kid) in actions
