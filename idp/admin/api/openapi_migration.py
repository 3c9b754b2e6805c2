"""The admin API's user imports (issue 32) in /openapi.json, beside openapi.py (whose helpers it
shares), exercised by tests/test_openapi.py."""

from __future__ import annotations

from idp.admin.api.framework import PREFIX
from idp.admin.api.openapi import _ADMIN, _S, _ok, _problems, _query
from idp.migration.readers import FORMATS
from idp.migration.writer import ON_CONFLICT

_FLAG = {"enum": ["true", "false"]}
_STAMP = {"type": "string", "format": "date-time"}
_NULLABLE_STAMP = {"type": ["string", "null"], "format": "date-time"}
_COUNT = {"type": "integer", "minimum": 0}


def paths() -> dict:
    body = {"required": True, "description": "the file itself: jsonl (docs/migration.md), a Keycloak realm "
            "export or Auth0's bulk-import JSON", "content": {media: {"schema": _S} for media in (
                "application/x-ndjson", "application/json", "application/octet-stream")}}
    return {
        f"{PREFIX}/user-imports": {"post": {
            "operationId": "adminCreateUserImport", "tags": ["admin"], "security": _ADMIN, "requestBody": body,
            "parameters": [_query("format", {"enum": list(FORMATS)}, "the file's format (jsonl)"),
                           _query("on_conflict", {"enum": list(ON_CONFLICT)}, "an existing id or email (skip)"),
                           _query("dry_run", _FLAG, "check and report, write nothing"),
                           _query("allow_weak_hashes", _FLAG, "accept salted MD5/SHA digests"),
                           _query("roles_api", _S, "keycloak: the API whose roles realm roles become")],
            "responses": {"202": _ok("UserImport", "the job; Location names it"), **_problems(400, 413)}}},
        f"{PREFIX}/user-imports/{{job_id}}": {"get": {
            "operationId": "adminGetUserImport", "tags": ["admin"], "security": _ADMIN,
            "parameters": [{"name": "job_id", "in": "path", "required": True, "schema": _S}],
            "responses": {"200": _ok("UserImport", "state, counts and per-record errors"), **_problems(404)}}},
        f"{PREFIX}/user-export": {"get": {
            "operationId": "adminExportUsers", "tags": ["admin"], "security": _ADMIN,
            "responses": {"200": {"description": "every user, one jsonl record a line (docs/migration.md): "
                                  "hashes and TOTP secrets included", "content": {"application/x-ndjson": {
                                      "schema": _S}}}, **_problems()}}},
    }


def schemas() -> dict:
    return {"UserImport": {"type": "object", "additionalProperties": False, "required": [
        "id", "state", "format", "options", "counts", "errors", "message", "created_at", "finished_at"], "properties": {
        "id": _S, "state": {"enum": ["queued", "running", "succeeded", "failed"]}, "format": {"enum": list(FORMATS)},
        "options": {"type": "object"}, "counts": {"type": "object", "additionalProperties": _COUNT},
        "errors": {"type": "array", "items": {"type": "object", "required": ["position", "reason"], "properties": {
            "position": _COUNT, "reason": _S}}},
        "message": {"type": ["string", "null"]}, "created_at": _STAMP, "finished_at": _NULLABLE_STAMP}}}
