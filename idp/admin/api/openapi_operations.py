"""The admin API's mail outbox, registration tokens, administrators and key import/export in
/openapi.json (OpenAPI 3.1), beside openapi.py and openapi_clients.py (whose helpers it shares),
exercised by tests/test_openapi.py."""

from __future__ import annotations

from idp.admin.api.framework import PREFIX
from idp.admin.api.openapi import _ADMIN, _S, _json_body, _ok, _problems

_INT = {"type": "integer"}
_STAMP = {"type": "string", "format": "date-time"}


def _op(operation_id: str, **rest) -> dict:
    return {"operationId": operation_id, "tags": ["admin"], "security": _ADMIN, **rest}


def _object(required: list[str], **properties) -> dict:
    return {"type": "object", "additionalProperties": False, "required": required, "properties": properties}


def paths() -> dict:
    return {
        f"{PREFIX}/mail/status": {
            "get": _op("adminMailStatus", responses={"200": _ok("MailStatus", "the outbox (never a body)")}),
        },
        f"{PREFIX}/mail/retry": {
            "post": _op("adminMailRetry", requestBody={**_json_body("MailRetry"), "required": False},
                        responses={"202": _ok("MailRequeued", "made due now; the sender thread sends them"),
                                   **_problems(400, 404, 409, 415)}),
        },
    }


def schemas() -> dict:
    return {
        "MailStatus": _object(
            ["counts", "oldest_pending_age_seconds", "recent_failures"],
            counts=_object(["pending", "sent", "failed"], pending=_INT, sent=_INT, failed=_INT),
            oldest_pending_age_seconds={"type": ["integer", "null"], "minimum": 0},
            recent_failures={"type": "array", "items": _object(
                ["id", "recipient_domain", "status", "attempts", "last_error", "created_at"],
                id=_S, recipient_domain=_S, status={"enum": ["pending", "failed"]}, attempts=_INT,
                last_error={"type": ["string", "null"]}, created_at=_STAMP)}),
        "MailRetry": {"type": "object", "additionalProperties": False, "properties": {
            "id": {**_S, "description": "only this pending message (default: every pending one)"}}},
        "MailRequeued": _object(["requeued"], requeued={"type": "integer", "minimum": 0}),
    }
