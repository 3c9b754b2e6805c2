"""The admin API's mail outbox, registration tokens, administrators and key import/export in
/openapi.json (OpenAPI 3.1), beside openapi.py and openapi_clients.py (whose helpers it shares),
exercised by tests/test_openapi.py."""

from __future__ import annotations

from idp.admin.api.framework import PREFIX
from idp.admin.api.openapi import _ADMIN, _ETAG, _IF_MATCH, _PAGE, _S, _json_body, _ok, _page, _problems
from idp.administration.registration_tokens import MAX_TTL, MAX_USES, MIN_TTL

_INT = {"type": "integer"}
_STAMP = {"type": "string", "format": "date-time"}
_TOKEN_ID = {"name": "token_id", "in": "path", "required": True, "schema": _S,
             "description": "the token's SHA-256 (hex), never its value"}


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
        f"{PREFIX}/registration-tokens": {
            "get": _op("adminListRegistrationTokens", parameters=_PAGE,
                       responses={"200": _ok("RegistrationTokenPage", "by id; never a value"), **_problems(400)}),
            "post": _op("adminCreateRegistrationToken",
                        requestBody={**_json_body("NewRegistrationToken"), "required": False},
                        responses={"201": _ok("CreatedRegistrationToken", "the token, shown this once",
                                              {**_ETAG, "Location": {"schema": _S}}),
                                   **_problems(400, 415)}),
        },
        f"{PREFIX}/registration-tokens/{{token_id}}": {
            "get": _op("adminGetRegistrationToken", parameters=[_TOKEN_ID],
                       responses={"200": _ok("RegistrationToken", "what is stored of it", _ETAG), **_problems(404)}),
            "delete": _op("adminDeleteRegistrationToken", parameters=[_TOKEN_ID, _IF_MATCH],
                          responses={"204": {"description": "revoked: registrations with it are refused"},
                                     **_problems(404, 412, 428)}),
        },
        **_admin_paths(),
        **_key_paths(),
    }


_USER = {"name": "user_id", "in": "path", "required": True, "schema": _S}
_KID = {"name": "kid", "in": "path", "required": True, "schema": _S}


def _key_paths() -> dict:
    return {
        f"{PREFIX}/keys/{{kid}}/jwk": {
            "get": _op("adminGetKeyJwk", parameters=[_KID],
                       responses={"200": _ok("PublicJwk", "the public JWK (RFC 7517), never a private member", _ETAG),
                                  **_problems(404)}),
        },
        f"{PREFIX}/keys/import": {
            "post": _op("adminImportKey", requestBody=_json_body("KeyImport"),
                        responses={"201": _ok("SigningKey", "the imported key, in state next",
                                              {"Location": {"schema": _S}}),
                                   **_problems(400, 409, 415)}),
        },
    }


def _admin_paths() -> dict:
    return {
        f"{PREFIX}/admins": {
            "get": _op("adminListAdministrators", parameters=_PAGE,
                       responses={"200": _ok("AdministratorPage", "by user id"), **_problems(400)}),
        },
        f"{PREFIX}/admins/{{user_id}}": {
            "get": _op("adminGetAdministrator", parameters=[_USER],
                       responses={"200": _ok("Administrator", "an administrator", _ETAG), **_problems(404)}),
            "put": _op("adminGrantAdministrator", parameters=[_USER],
                       responses={"200": _ok("Administrator", "already an administrator", _ETAG),
                                  "201": _ok("Administrator", "made an administrator now",
                                             {**_ETAG, "Location": {"schema": _S}}),
                                  **_problems(404)}),
            "delete": _op("adminRevokeAdministrator", parameters=[_USER, _IF_MATCH],
                          responses={"204": {"description": "no longer enters the console (every replica, at once)"},
                                     **_problems(404, 409, 412, 428)}),
        },
    }


_TOKEN = {"id": _S, "uses_left": {"type": "integer", "minimum": 0}, "expires_at": _STAMP, "created_at": _STAMP}


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
        "NewRegistrationToken": {"type": "object", "additionalProperties": False, "properties": {
            "uses": {"type": "integer", "minimum": 1, "maximum": MAX_USES, "default": 1},
            "expires_in": {"type": "integer", "minimum": MIN_TTL, "maximum": MAX_TTL, "default": 86400}}},
        "RegistrationToken": _object(list(_TOKEN), **_TOKEN),
        "CreatedRegistrationToken": _object([*_TOKEN, "token"], **_TOKEN, token=_S),
        "RegistrationTokenPage": _page("RegistrationToken"),
        "Administrator": _object(["user_id", "email", "granted_at", "granted_by", "second_factor"], user_id=_S,
                                 email=_S, granted_at=_STAMP, granted_by=_S, second_factor={"type": "boolean"}),
        "AdministratorPage": _page("Administrator"),
        "PublicJwk": {"type": "object", "required": ["kty", "kid"], "properties": {
            "kty": {"enum": ["RSA", "EC", "OKP"]}, "kid": _S, "use": _S, "alg": _S, "crv": _S, "n": _S, "e": _S,
            "x": _S, "y": _S}, "not": {"anyOf": [{"required": [m]} for m in ("d", "p", "q", "dp", "dq", "qi")]}},
        "KeyImport": {"type": "object", "additionalProperties": False,
                      "description": "exactly one of jwk and pem: a private RS256 (RSA 2048-8192 bits), ES256 "
                                     "(P-256) or EdDSA (Ed25519) key of a configured KEY_ALGORITHMS",
                      "properties": {"jwk": {"type": "object"}, "pem": _S,
                                     "alg": {"enum": ["RS256", "ES256", "EdDSA"]}}},
    }
