"""POST /admin/api/v1/user-imports (issue 32): the same writer as the CLI, as an asynchronous job
whose state, counts and per-record errors any replica answers; problem+json (RFC 9457) for bad
input."""

from __future__ import annotations

import json
import os
import time
import uuid

import bcrypt

from idp.migration import schemes

from ..admin_api import admin_session
from ..conftest import PASSWORD, remember_secret, start_idp

NDJSON = {"Content-Type": "application/x-ndjson"}


def finished(admin, location: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = admin.http.get(admin.idp.url + location, timeout=5).json()
        if job["state"] in ("succeeded", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"the job did not finish: {job}")


def test_an_import_job_runs_reports_per_record_errors_and_shows_the_scheme(idp):
    admin = admin_session(idp)
    stored = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(12)).decode()
    remember_secret(stored)
    good = {"id": str(uuid.uuid4()), "email": f"api-{uuid.uuid4().hex[:8]}@example.com", "email_verified": True,
            "password": stored}
    body = json.dumps(good) + "\n{broken\n" + json.dumps({"email": "x@example.com", "password": "plain"}) + "\n"
    response = admin.post("/user-imports", data=body.encode(), headers=NDJSON)
    assert response.status_code == 202, response.text
    assert response.headers["Location"] == f"/admin/api/v1/user-imports/{response.json()['id']}"
    job = finished(admin, response.headers["Location"])
    assert job["state"] == "succeeded" and job["counts"] == {"created": 1, "updated": 0, "skipped": 0, "failed": 2}
    assert [e["position"] for e in job["errors"]] == [2, 3]
    assert "not a recognised hash" in job["errors"][1]["reason"]
    user = admin.get(f"/users/{good['id']}").json()
    assert user["password_scheme"] == "bcrypt" and "password_hash" not in user
    events = idp.services.audit_events.list(action="users.imported")
    assert any(e.actor == f"client:{admin.client_id}" for e in events)


def test_dry_run_and_bad_parameters_and_unknown_jobs(idp):
    admin = admin_session(idp)
    record = {"email": f"dry-{uuid.uuid4().hex[:8]}@example.com"}
    response = admin.post("/user-imports?dry_run=true", data=json.dumps(record).encode(), headers=NDJSON)
    job = finished(admin, response.headers["Location"])
    assert job["counts"]["created"] == 1 and job["options"]["dry_run"] is True
    assert idp.services.users.by_email(record["email"]) is None
    bad = admin.post("/user-imports?format=csv&on_conflict=merge", data=b"{}", headers=NDJSON)
    assert bad.status_code == 400 and bad.headers["Content-Type"] == "application/problem+json"
    assert {e["name"] for e in bad.json()["errors"]} == {"format", "on_conflict"}
    empty = admin.post("/user-imports", data=b"", headers=NDJSON)
    assert empty.status_code == 400 and empty.json()["errors"][0]["name"] == "body"
    assert admin.get("/user-imports/no-such-job").status_code == 404


def test_reading_is_not_enough_to_import(idp):
    reader = admin_session(idp, scope="admin:read")
    response = reader.post("/user-imports", data=b'{"email": "r@example.com"}\n', headers=NDJSON)
    assert response.status_code == 403 and "insufficient_scope" in response.headers["WWW-Authenticate"]


def test_an_upload_over_the_limit_is_413_and_imports_nothing(tmp_path_factory):
    small, stop = start_idp("postgres", tmp_path_factory, user_import_max_bytes=1024)
    try:
        admin = admin_session(small)
        big = b"".join(json.dumps({"email": f"big-{i}@example.com"}).encode() + b"\n" for i in range(100))
        response = admin.post("/user-imports", data=big, headers=NDJSON)
        assert response.status_code == 413 and response.json()["code"] == "too_large"
        assert small.services.users.by_email("big-0@example.com") is None
    finally:
        stop()


def test_a_file_larger_than_the_64_kib_of_other_requests_is_taken(idp):
    admin = admin_session(idp)
    lines = [json.dumps({"email": f"bulk-{uuid.uuid4().hex}@example.com", "name": "y" * 200}) for _ in range(400)]
    body = ("\n".join(lines) + "\n").encode()
    assert len(body) > 64 * 1024
    response = admin.post("/user-imports?dry_run=true", data=body, headers=NDJSON)
    assert response.status_code == 202, response.text
    assert finished(admin, response.headers["Location"])["counts"]["created"] == 400


def test_the_export_streams_every_user_in_the_import_schema_and_needs_write(idp):
    import jsonschema

    schema = json.load(open(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "user-import.schema.json")))
    user = idp.create_user()
    reader = admin_session(idp, scope="admin:read")
    assert reader.get("/user-export").status_code == 403  # hashes and secrets: admin:write only
    admin = admin_session(idp)
    response = admin.get("/user-export")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/x-ndjson"
    assert response.headers["Cache-Control"] == "no-store"
    records = [json.loads(line) for line in response.text.splitlines()]
    for record in records:
        jsonschema.validate(record, schema)
    mine = next(r for r in records if r["id"] == user.id)
    assert mine["email"] == user.email and mine["password"].startswith("$argon2id$")
    assert any(e.actor == f"client:{admin.client_id}" for e in idp.services.audit_events.list(action="users.exported"))
