"""The audit trail: a row per event in audit_events (queried by `idp audit list`) and the same
event as a JSON log line tagged for the ELK pipeline."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

from . import conftest
from .conftest import PASSWORD, Browser


def sign_in(idp, user, password, request_id):
    browser = Browser(idp)
    browser.http.headers["X-Request-ID"] = request_id
    browser.login(browser.go(idp.endpoint("/login")), user.email, password=password)


def test_sign_ins_and_failures_are_stored_with_address_and_request_id(idp, user):
    failed, succeeded = uuid.uuid4().hex, uuid.uuid4().hex
    sign_in(idp, user, "wrong password", failed)
    sign_in(idp, user, PASSWORD, succeeded)
    events = idp.services.audit_events.list(user_id=user.id)
    assert [(e.action, e.request_id) for e in events[:2]] == [("login.succeeded", succeeded), ("login.failed", failed)]
    assert events[0].ip == "127.0.0.1" and events[0].occurred_at <= events[0].occurred_at.utcnow()


def test_audit_events_are_json_log_lines_tagged_for_elk(idp, user):
    request_id = uuid.uuid4().hex
    sign_in(idp, user, "wrong password", request_id)
    with open(conftest.RUN_LOG) as handle:
        lines = [json.loads(line) for line in handle if request_id in line]
    audit = [line for line in lines if line.get("tags") == ["audit"]]
    assert len(audit) == 1
    assert audit[0]["action"] == "login.failed" and audit[0]["user_id"] == user.id
    assert audit[0]["logger"] == "idp.audit" and audit[0]["level"] == "info"


def idp_cli(idp, *args):
    result = subprocess.run([sys.executable, "-m", "idp.cli", "audit", "list", *args], env=idp.cli_env(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_idp_audit_list_filters_by_user_and_since(idp, user):
    other = idp.create_user()
    sign_in(idp, user, "wrong password", uuid.uuid4().hex)
    sign_in(idp, other, "wrong password", uuid.uuid4().hex)
    by_email = idp_cli(idp, "--since", "10m", "--user", user.email)
    assert "login.failed" in by_email and user.id in by_email and other.id not in by_email
    rows = [json.loads(line) for line in idp_cli(idp, "--user", other.id, "--json").splitlines()]
    assert rows and {r["user_id"] for r in rows} == {other.id} and rows[0]["action"] == "login.failed"
    assert idp_cli(idp, "--since", "2999-01-01", "--user", user.id) == "No audit events.\n"  # says so (issue 34)
