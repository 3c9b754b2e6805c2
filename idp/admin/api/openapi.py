"""The admin API's part of /openapi.json (OpenAPI 3.1), merged into idp/ops/openapi.py's document
and exercised by tests/test_openapi.py (schemathesis, with an admin token)."""

from __future__ import annotations

from idp.admin.api.framework import PREFIX
from idp.admin.api.problems import MEDIA_TYPE as PROBLEM
from idp.administration import MAX_LIMIT

_S = {"type": "string"}
_NULLABLE_S = {"type": ["string", "null"]}
_BOOL = {"type": "boolean"}
_ETAG = {"ETag": {"required": True, "schema": _S}}
_STATUS_TEXT = {400: "invalid input: `errors` names each field (RFC 9457 3)", 401: "no valid access token (RFC 6750 3.1)",
                403: "the token lacks the scope (RFC 6750 3.1 insufficient_scope)", 404: "no such resource",
                409: "a unique value is taken, or the state forbids the change", 412: "If-Match names an older version (RFC 9110 13.1.1)",
                415: "the body is not JSON", 428: "If-Match is required (RFC 6585 3)",
                429: "the client's rate limit is spent", 413: "the upload is over USER_IMPORT_MAX_BYTES"}
_CHALLENGE = {"WWW-Authenticate": {"required": True, "schema": _S}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _problems(*statuses: int) -> dict:
    out = {}
    for status in (401, 403, 429) + statuses:
        response = {"description": _STATUS_TEXT[status], "content": {PROBLEM: {"schema": _ref("Problem")}}}
        if status in (401, 403):
            response["headers"] = _CHALLENGE
        out[str(status)] = response
    return out


def _ok(schema: str, description: str, headers: dict | None = None) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}
    if headers:
        response["headers"] = headers
    return response


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


_PAGE = [_query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "items per page (default 50)"),
         _query("cursor", _S, "next_cursor of the previous page")]
_IF_MATCH = {"name": "If-Match", "in": "header", "required": True, "schema": _S,
             "description": "the ETag of the version being changed"}
_USER_ID = {"name": "user_id", "in": "path", "required": True, "schema": _S}
_ADMIN = [{"bearer": []}]


def _json_body(schema: str, *media_types: str) -> dict:
    return {"required": True, "content": {m: {"schema": _ref(schema)} for m in media_types or ("application/json",)}}


def paths() -> dict:
    return {
        f"{PREFIX}/users": {
            "get": {"operationId": "adminListUsers", "tags": ["admin"], "security": _ADMIN,
                    "parameters": [_query("search", _S, "email or name prefix"),
                                   _query("disabled", {"enum": ["true", "false"]}, "only (not) disabled users"),
                                   *_PAGE],
                    "responses": {"200": _ok("UserPage", "users by email"), **_problems(400)}},
            "post": {"operationId": "adminCreateUser", "tags": ["admin"], "security": _ADMIN,
                     "requestBody": _json_body("NewUser"),
                     "responses": {"201": _ok("User", "created", {**_ETAG, "Location": {"schema": _S}}),
                                   **_problems(400, 409, 415)}},
        },
        f"{PREFIX}/users/{{user_id}}": {
            "get": {"operationId": "adminGetUser", "tags": ["admin"], "security": _ADMIN, "parameters": [_USER_ID],
                    "responses": {"200": _ok("User", "the user", _ETAG), **_problems(404)}},
            "patch": {"operationId": "adminUpdateUser", "tags": ["admin"], "security": _ADMIN,
                      "parameters": [_USER_ID, _IF_MATCH],
                      "requestBody": _json_body("UserChanges", "application/json", "application/merge-patch+json"),
                      "responses": {"200": _ok("User", "changed", _ETAG),
                                    **_problems(400, 404, 409, 412, 415, 428)}},
            "delete": {"operationId": "adminDeleteUser", "tags": ["admin"], "security": _ADMIN,
                       "parameters": [_USER_ID, _IF_MATCH],
                       "responses": {"204": {"description": "deleted, with its grants, sessions and links"},
                                     **_problems(404, 412, 428)}},
        },
        **_user_access_paths(),
        f"{PREFIX}/audit-events": {
            "get": {"operationId": "adminListAuditEvents", "tags": ["admin"], "security": _ADMIN,
                    "parameters": [_query("since", {"type": "string", "format": "date-time"}, "at or after"),
                                   _query("until", {"type": "string", "format": "date-time"}, "before"),
                                   *(_query(name, _S, f"equal {name}")
                                     for name in ("user_id", "client_id", "action", "actor")),
                                   *_PAGE],
                    "responses": {"200": _ok("AuditEventPage", "newest first"), **_problems(400)}},
        },
        f"{PREFIX}/audit-events/{{event_id}}": {
            "get": {"operationId": "adminGetAuditEvent", "tags": ["admin"], "security": _ADMIN,
                    "parameters": [{"name": "event_id", "in": "path", "required": True, "schema": _S}],
                    "responses": {"200": _ok("AuditEvent", "the event", _ETAG), **_problems(404)}},
        },
    }


def _with_path(*names: str) -> list[dict]:
    return [_USER_ID, *({"name": n, "in": "path", "required": True, "schema": _S} for n in names)]


def _list(operation: str, schema: str, description: str) -> dict:
    return {"get": {"operationId": operation, "tags": ["admin"], "security": _ADMIN, "parameters": [_USER_ID, *_PAGE],
                    "responses": {"200": _ok(schema, description), **_problems(400, 404)}}}


def _item(name: str, schema: str, key: str, description: str) -> dict:
    params = _with_path(key)
    return {"get": {"operationId": f"adminGet{name}", "tags": ["admin"], "security": _ADMIN, "parameters": params,
                    "responses": {"200": _ok(schema, "the item", _ETAG), **_problems(404)}},
            "delete": {"operationId": f"adminDelete{name}", "tags": ["admin"], "security": _ADMIN,
                       "parameters": [*params, _IF_MATCH],
                       "responses": {"204": {"description": description}, **_problems(404, 412, 428)}}}


def _user_access_paths() -> dict:
    user = f"{PREFIX}/users/{{user_id}}"
    return {
        f"{user}/sessions": {**_list("adminListUserSessions", "SessionPage", "the user's browser sessions"),
                             "delete": {"operationId": "adminEndAllUserSessions", "tags": ["admin"],
                                        "security": _ADMIN, "parameters": [_USER_ID],
                                        "responses": {"200": _ok("SessionsEnded", "every session ended"),
                                                      **_problems(404)}}},
        f"{user}/sessions/{{session_id}}": _item("UserSession", "Session", "session_id", "signed out"),
        f"{user}/grants": _list("adminListUserGrants", "GrantPage", "what the user granted each client"),
        f"{user}/grants/{{client_id}}": _item("UserGrant", "Grant", "client_id",
                                              "consent forgotten, refresh and access tokens revoked"),
        f"{user}/identities": _list("adminListUserIdentities", "IdentityPage", "linked upstream accounts"),
        f"{user}/second-factors": {
            "get": {"operationId": "adminGetSecondFactors", "tags": ["admin"], "security": _ADMIN,
                    "parameters": [_USER_ID],
                    "responses": {"200": _ok("SecondFactors", "what the user enrolled", _ETAG), **_problems(404)}},
            "delete": {"operationId": "adminRemoveSecondFactors", "tags": ["admin"], "security": _ADMIN,
                       "parameters": [_USER_ID, _IF_MATCH],
                       "responses": {"204": {"description": "TOTP and recovery codes removed"},
                                     **_problems(404, 412, 428)}}},
        f"{user}/passkeys": {
            "delete": {"operationId": "adminRemoveUserPasskeys", "tags": ["admin"], "security": _ADMIN,
                       "parameters": [_USER_ID],
                       "responses": {"204": {"description": "every passkey of the user removed"},
                                     **_problems(404)}}},
        f"{user}/password-reset": {
            "post": {"operationId": "adminSendPasswordReset", "tags": ["admin"], "security": _ADMIN,
                     "parameters": [_USER_ID],
                     "responses": {"202": {"description": "a reset link is queued for the user's email"},
                                   **_problems(400, 404)}}},
    }


def _object(required: list[str], **properties) -> dict:
    return {"type": "object", "additionalProperties": False, "required": required, "properties": properties}


def _page(item: str) -> dict:
    return {"type": "object", "required": ["items", "next_cursor"], "additionalProperties": False,
            "properties": {"items": {"type": "array", "items": _ref(item)}, "next_cursor": _NULLABLE_S}}


_STAMP = {"type": "string", "format": "date-time"}
# issue 35: what a claim may be mapped from (idp/apis/claim_mappings.py); reserved claim names are refused
CLAIM_MAPPINGS = {"type": ["array", "null"], "maxItems": 50, "description": "claims tokens carry: "
                  "app_metadata[.key], user_metadata[.key], user.email|email_verified|name|updated_at, groups, "
                  "organization.id|slug|name; reserved claims are refused (docs/claims.md)",
                  "items": {"type": "object", "additionalProperties": False, "required": ["claim", "from"],
                            "properties": {"claim": _S, "from": _S, "scope": _S}}}
_METADATA = {"type": ["object", "null"], "description": "a JSON object of at most USER_METADATA_MAX_BYTES"}


def schemas() -> dict:
    return {
        "Problem": {"type": "object", "required": ["type", "title", "status"], "properties": {
            "type": _S, "title": _S, "status": {"type": "integer"}, "detail": _S, "code": _S,
            "errors": {"type": "array", "items": {"type": "object", "required": ["name", "detail"],
                                                   "properties": {"name": _S, "detail": _S, "pointer": _S,
                                                                  "allowed_values": {"type": "array", "items": _S}}}}}},
        "User": {"type": "object", "additionalProperties": False,
                 "required": ["id", "email", "email_verified", "name", "disabled", "has_password", "created_at",
                              "updated_at", "password_scheme", "app_metadata", "user_metadata"],
                 "properties": {"id": _S, "email": _S, "email_verified": _BOOL, "name": _NULLABLE_S,
                                "disabled": _BOOL, "has_password": _BOOL, "created_at": _STAMP,
                                "updated_at": _STAMP, "password_scheme": _NULLABLE_S,
                                "app_metadata": {"type": "object"}, "user_metadata": {"type": "object"}}},
        "NewUser": {"type": "object", "required": ["email"], "additionalProperties": False, "properties": {
            "email": _S, "name": _NULLABLE_S, "password": _S, "email_verified": _BOOL,
            "send_email": {"enum": ["verification", "set_password", None]},
            "app_metadata": _METADATA, "user_metadata": _METADATA}},
        "UserChanges": {"type": "object", "additionalProperties": False, "properties": {
            "email": _S, "name": _NULLABLE_S, "email_verified": _BOOL, "disabled": _BOOL,
            "app_metadata": _METADATA, "user_metadata": _METADATA}},
        "UserPage": _page("User"),
        "AuditEvent": {"type": "object", "additionalProperties": False,
                       "required": ["id", "occurred_at", "action", "actor", "user_id", "client_id", "details"],
                       "properties": {"id": _S, "occurred_at": _STAMP, "action": _S, "actor": _NULLABLE_S,
                                      "user_id": _NULLABLE_S, "client_id": _NULLABLE_S, "ip": _NULLABLE_S,
                                      "request_id": _NULLABLE_S, "details": {"type": "object"}}},
        "AuditEventPage": _page("AuditEvent"),
        "Session": _object(["id", "created_at", "user_agent", "ip"], id=_S, created_at=_STAMP, user_agent=_S, ip=_S),
        "SessionPage": _page("Session"),
        "SessionsEnded": _object(["sessions_ended"], sessions_ended={"type": "integer", "minimum": 0}),
        "Grant": _object(["id", "client_id", "client_name", "scopes", "refresh_token_families", "consented_at"],
                         id=_S, client_id=_S, client_name=_NULLABLE_S, scopes={"type": "array", "items": _S},
                         refresh_token_families={"type": "integer"},
                         consented_at={"type": ["string", "null"], "format": "date-time"}),
        "GrantPage": _page("Grant"),
        "Identity": _object(["id", "provider", "subject", "email", "created_at"], id=_S, provider=_S, subject=_S,
                            email=_NULLABLE_S, created_at=_STAMP),
        "IdentityPage": _page("Identity"),
        "SecondFactors": _object(["totp", "recovery_codes_left"], totp=_BOOL,
                                 recovery_codes_left={"type": "integer"}),
    }
