"""The admin API's clients and keys in /openapi.json (OpenAPI 3.1), beside idp/admin/api/openapi.py's
users and audit events (whose helpers it shares), exercised by tests/test_openapi.py."""

from __future__ import annotations

from idp.admin.api.framework import PREFIX
from idp.admin.api.openapi import CLAIM_MAPPINGS, _ADMIN, _ETAG, _IF_MATCH, _PAGE, _S, _json_body, _ok, _page, _problems
from idp.admin.api.problems import MEDIA_TYPE as PROBLEM
from idp.administration.clients import MAX_GRACE_SECONDS

_CLIENT_ID = {"name": "client_id", "in": "path", "required": True, "schema": _S}
_KID = {"name": "kid", "in": "path", "required": True, "schema": _S}
_NULLABLE_S = {"type": ["string", "null"]}
_NULLABLE_STAMP = {"type": ["string", "null"], "format": "date-time"}
_STRINGS = {"type": "array", "items": _S}
_TOO_EARLY = {"409": {"description": "the next key is younger than the JWKS cache lifetime (force it, or wait)",
                      "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}}


def _op(operation_id: str, **rest) -> dict:
    return {"operationId": operation_id, "tags": ["admin"], "security": _ADMIN, **rest}


def paths() -> dict:
    return {
        f"{PREFIX}/clients": {
            "get": _op("adminListClients", parameters=_PAGE,
                       responses={"200": _ok("ClientPage", "clients, oldest first"), **_problems(400)}),
            "post": _op("adminCreateClient", requestBody=_json_body("ClientMetadata"),
                        responses={"201": _ok("NewClient", "created; client_secret shown this once",
                                              {**_ETAG, "Location": {"schema": _S}}),
                                   **_problems(400, 409, 415)}),
        },
        f"{PREFIX}/clients/{{client_id}}": {
            "get": _op("adminGetClient", parameters=[_CLIENT_ID],
                       responses={"200": _ok("ClientWithGrants", "the client and its active grants", _ETAG),
                                  **_problems(404)}),
            "patch": _op("adminUpdateClient", parameters=[_CLIENT_ID, _IF_MATCH],
                         requestBody=_json_body("ClientMetadata", "application/json", "application/merge-patch+json"),
                         responses={"200": _ok("Client", "changed", _ETAG),
                                    **_problems(400, 404, 412, 415, 428)}),
            "delete": _op("adminDeleteClient", parameters=[_CLIENT_ID, _IF_MATCH],
                          responses={"204": {"description": "deleted, with its consents and refresh tokens"},
                                     **_problems(404, 412, 428)}),
        },
        f"{PREFIX}/clients/{{client_id}}/secret": {
            "post": _op("adminRotateClientSecret", parameters=[_CLIENT_ID, _IF_MATCH],
                        requestBody={**_json_body("SecretRotation"), "required": False},
                        responses={"200": _ok("NewClient", "the new client_secret, shown this once", _ETAG),
                                   **_problems(400, 404, 412, 415, 428)}),
        },
        f"{PREFIX}/keys": {
            "get": _op("adminListKeys", responses={"200": _ok("KeyPage", "every stored signing key")}),
        },
        f"{PREFIX}/keys/rotate": {
            "post": _op("adminRotateKeys", requestBody={**_json_body("KeyRotation"), "required": False},
                        responses={"200": _ok("SigningKey", "the key that signs now"),
                                   **_problems(400, 412, 415), **_TOO_EARLY}),
        },
        **{f"{PREFIX}/keys/{{kid}}/{action}": {
            "post": _op(f"admin{action.title()}Key", parameters=[_KID],
                        responses={"200": _ok("SigningKey", description), **_problems(404)})}
           for action, description in (("retire", "no longer signs; published until its tokens expire"),
                                       ("revoke", "left the JWKS at once"))},
    }


_METADATA_PROPERTIES = {
    "client_name": _S, "redirect_uris": _STRINGS, "post_logout_redirect_uris": _STRINGS, "grant_types": _STRINGS,
    "response_types": _STRINGS, "scope": _S, "token_endpoint_auth_method": _S, "jwks_uri": _S,
    "jwks": {"type": "object"}, "client_uri": _S, "logo_uri": _S, "tos_uri": _S, "policy_uri": _S,
    "contacts": _STRINGS, "subject_type": _S, "sector_identifier_uri": _S, "id_token_signed_response_alg": _S,
    "token_endpoint_auth_signing_alg": _S, "request_object_signing_alg": _S, "backchannel_logout_uri": _S,
    "backchannel_logout_session_required": {"type": "boolean"},
    "require_pushed_authorization_requests": {"type": "boolean"},
    "require_signed_request_object": {"type": "boolean"},
    "dpop_bound_access_tokens": {"type": "boolean"}, "default_max_age": {"type": "integer", "minimum": 0},
    "require_auth_time": {"type": "boolean"}, "default_acr_values": _STRINGS, "application_type": _S,
    "initiate_login_uri": _S, "software_id": _S, "software_version": _S,
    "allowed_origins": {**_STRINGS, "description": "browser origins (https://host[:port]) that may call /token, "
                        "/revoke and /userinfo as this client, besides its redirect URIs' origins"},
    # RFC 8693, operator-only: impersonation without an actor token, refresh tokens from an exchange
    "token_exchange_impersonation": {"type": "boolean"}, "token_exchange_refresh_tokens": {"type": "boolean"},
}
_CLIENT_PROPERTIES = {
    **_METADATA_PROPERTIES, "client_id": _S, "trusted": {"type": "boolean"},
    "created_at": {"type": "string", "format": "date-time"}, "updated_at": _NULLABLE_STAMP,
    "has_secret": {"type": "boolean"}, "previous_secret_expires_at": _NULLABLE_STAMP,
    "claim_mappings": CLAIM_MAPPINGS,  # issue 35: an administrator's only (refused in RFC 7591 / 7592 requests)
}
_CLIENT_REQUIRED = ["client_id", "client_name", "redirect_uris", "grant_types", "response_types", "scope",
                    "token_endpoint_auth_method", "trusted", "created_at", "has_secret"]


def _client(**extra) -> dict:
    return {"type": "object", "required": _CLIENT_REQUIRED + list(extra), "properties": {**_CLIENT_PROPERTIES, **extra}}


def schemas() -> dict:
    stamp = _NULLABLE_STAMP
    return {
        "ClientMetadata": {
            "type": "object", "description": "RFC 7591 2 metadata, plus trusted (skip consent) and, on creation, "
                                             "a chosen client_id; null removes a member (RFC 7396)",
            "properties": {**{name: {"anyOf": [schema, {"type": "null"}]}
                              for name, schema in _METADATA_PROPERTIES.items()},
                           "client_id": _S, "trusted": {"type": "boolean"}, "claim_mappings": CLAIM_MAPPINGS}},
        "Client": _client(),
        "ClientWithGrants": _client(active_grants={"type": "integer", "minimum": 0}),
        "NewClient": _client(client_secret=_NULLABLE_S),
        "ClientPage": _page("Client"),
        "SecretRotation": {"type": "object", "additionalProperties": False, "properties": {
            "grace_seconds": {"type": "integer", "minimum": 0, "maximum": MAX_GRACE_SECONDS}}},
        "KeyRotation": {"type": "object", "additionalProperties": False, "properties": {
            "alg": _S, "expected_current": _S, "force": {"type": "boolean"}}},
        "SigningKey": {"type": "object", "required": ["kid"], "properties": {
            "kid": _S, "alg": _S, "state": {"enum": ["next", "current", "retired", "revoked"]},
            "published": {"type": "boolean"}, "created_at": stamp, "promoted_at": stamp, "retired_at": stamp,
            "retire_until": stamp}},
        "KeyPage": _page("SigningKey"),
    }
