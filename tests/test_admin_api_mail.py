"""/admin/api/v1/mail end to end (issue 15), on both live servers: the outbox's counts, the oldest
pending message's age and the recent failures (recipient domain only, addresses masked in the
error, never a body); a retry of every pending message or of one, audited; a message given up
(its body erased) is refused with 409; bad input is a problem, never a 500."""

from __future__ import annotations

import json
import time

import pytest
import requests

from .admin_api import admin_session

PROBLEM = "application/problem+json"


@pytest.fixture
def admin(idp):
    return admin_session(idp)


def waiting(idp, recipient: str, error: str = "SMTPServerDisconnected: gone") -> str:
    """A pending message whose last attempt failed, next attempt in an hour."""
    outbox = idp.services.mailer.outbox
    message_id = outbox.add(recipient, "Waiting", "https://idp.example/reset?token=s3cr3t-link", 3600)
    outbox.claim(message_id, lease=0)
    outbox.retry_later(message_id, error, 3600)
    return message_id


def given_up(idp, recipient: str, error: str) -> str:
    outbox = idp.services.mailer.outbox
    message_id = outbox.add(recipient, "Given up", "https://idp.example/verify?token=g1v3n-up", 3600)
    outbox.mark_failed(message_id, error)
    return message_id


def test_status_counts_ages_and_failures_without_bodies_or_addresses(idp, admin):
    failed = given_up(idp, "ada.private@fail.example",
                      "SMTPRecipientsRefused: {'ada.private@fail.example': (550, b'no such user')}")
    pending = waiting(idp, "grace.private@later.example")
    response = admin.get("/mail/status")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    status = response.json()
    assert set(status) == {"counts", "oldest_pending_age_seconds", "recent_failures"}
    assert set(status["counts"]) == {"pending", "sent", "failed"}
    assert status["counts"]["failed"] >= 1 and status["counts"]["pending"] >= 1
    assert isinstance(status["oldest_pending_age_seconds"], int) and status["oldest_pending_age_seconds"] >= 0
    failures = {f["id"]: f for f in status["recent_failures"]}
    assert failures[failed]["recipient_domain"] == "fail.example" and failures[failed]["status"] == "failed"
    assert failures[failed]["last_error"] == "SMTPRecipientsRefused: {'…@fail.example': (550, b'no such user')}"
    assert failures[pending]["status"] == "pending" and failures[pending]["attempts"] == 1
    assert set(failures[pending]) == {"id", "recipient_domain", "status", "attempts", "last_error", "created_at"}
    for secret in ("ada.private", "grace.private", "s3cr3t-link", "g1v3n-up", "token="):
        assert secret not in response.text


def test_retry_one_message_now_and_every_pending_one_audited(idp, admin, mailbox):
    first = waiting(idp, "retry-one@later.example")
    response = admin.post("/mail/retry", json={"id": first})
    assert response.status_code == 202 and response.json() == {"requeued": 1}
    assert mailbox.wait_for("retry-one@later.example", "Waiting")
    second = waiting(idp, "retry-all@later.example")
    everything = admin.post("/mail/retry")
    assert everything.status_code == 202 and everything.json()["requeued"] >= 1
    assert mailbox.wait_for("retry-all@later.example", "Waiting")
    deadline = time.monotonic() + 10
    while idp.services.mailer.outbox.get(second).status != "sent" and time.monotonic() < deadline:
        time.sleep(0.05)  # the SMTP server has it; the sender marks it sent a moment later
    assert idp.services.mailer.outbox.get(second).status == "sent"
    events = [e for e in idp.services.audit_events.list(action="mail.retried") if e.actor == f"client:{admin.client_id}"]
    assert {e.details.get("message_id") for e in events} >= {first, None}
    assert "s3cr3t-link" not in json.dumps([e.as_dict() for e in events])


def test_retry_refusals_are_problems(idp, admin):
    failed = given_up(idp, "late@fail.example", "SMTPDataError: 554")
    refused = admin.post("/mail/retry", json={"id": failed})
    assert refused.status_code == 409 and refused.json()["code"] == "conflict"
    assert "new link" in refused.json()["detail"]
    assert idp.services.mailer.outbox.get(failed).status == "failed"
    assert admin.post("/mail/retry", json={"id": "no-such-message"}).status_code == 404
    for body, name in (({"id": 5}, "id"), ({"id": "x" * 37}, "id"), ({"ids": []}, "ids"), ([], "body")):
        response = admin.post("/mail/retry", json=body)
        assert response.status_code == 400 and response.headers["Content-Type"] == PROBLEM, response.text
        assert {e["name"] for e in response.json()["errors"]} == {name}
    assert admin.post("/mail/retry", data="id=1").status_code == 415


def test_reading_needs_admin_read_and_retrying_admin_write(idp):
    reader = admin_session(idp, scope="admin:read")
    assert reader.get("/mail/status").status_code == 200
    refused = reader.post("/mail/retry")
    assert refused.status_code == 403 and refused.json()["code"] == "insufficient_scope"
    assert requests.get(idp.endpoint("/admin/api/v1/mail/status"), timeout=10).status_code == 401
