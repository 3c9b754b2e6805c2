"""The admin API's registered APIs and groups in /openapi.json (OpenAPI 3.1, issue 21), beside
idp/admin/api/openapi.py's users (whose helpers it shares), exercised by tests/test_openapi.py."""

from __future__ import annotations

from idp.admin.api.framework import PREFIX
from idp.admin.api.openapi import CLAIM_MAPPINGS, _ADMIN, _ETAG, _IF_MATCH, _PAGE, _S, _json_body, _ok, _page, _problems
from idp.administration.apis import MAX_TTL

_NULLABLE_S = {"type": ["string", "null"]}
_STRINGS = {"type": "array", "items": _S}
_NO_CONTENT = {"204": {"description": "done"}}


def _path(*names: str) -> list[dict]:
    return [{"name": name, "in": "path", "required": True, "schema": _S} for name in names]


def _op(operation_id: str, **rest) -> dict:
    return {"operationId": operation_id, "tags": ["admin"], "security": _ADMIN, **rest}


def _list(operation_id: str, schema: str, description: str, *path: str) -> dict:
    return _op(operation_id, parameters=[*_path(*path), *_PAGE],
               responses={"200": _ok(schema, description), **_problems(400, *((404,) if path else ()))})


def _set(name: str, *path: str, body: str | None = None, put: str = "added (again: no change)") -> dict:
    """PUT adds a member of a set (a client to an API, a user or group to a group), DELETE removes it."""
    put_op = _op(f"adminAdd{name}", parameters=_path(*path), responses={**_NO_CONTENT, **_problems(400, 404)})
    if body:
        put_op.update(requestBody={**_json_body(body), "required": False},
                      responses={"200": _ok(f"{body}Granted", put), **_problems(400, 404, 415)})
    else:
        put_op["responses"]["204"] = {"description": put}
    return {"put": put_op,
            "delete": _op(f"adminRemove{name}", parameters=_path(*path),
                          responses={"204": {"description": "removed"}, **_problems(404)})}


def paths() -> dict:
    api, group = f"{PREFIX}/apis/{{api_id}}", f"{PREFIX}/groups/{{group_id}}"
    created = {"201": _ok("Api", "registered", {**_ETAG, "Location": {"schema": _S}})}
    return {
        f"{PREFIX}/apis": {
            "get": _list("adminListApis", "ApiPage", "registered APIs by identifier"),
            "post": _op("adminCreateApi", requestBody=_json_body("NewApi"),
                        responses={**created, **_problems(400, 409, 415)}),
        },
        api: {
            "get": _op("adminGetApi", parameters=_path("api_id"),
                       responses={"200": _ok("Api", "the API", _ETAG), **_problems(404)}),
            "patch": _op("adminUpdateApi", parameters=[*_path("api_id"), _IF_MATCH],
                         requestBody=_json_body("ApiChanges", "application/json", "application/merge-patch+json"),
                         responses={"200": _ok("Api", "changed", _ETAG), **_problems(400, 404, 409, 412, 415, 428)}),
            "delete": _op("adminDeleteApi", parameters=[*_path("api_id"), _IF_MATCH],
                          responses={"204": {"description": "deleted, with its roles, assignments and allowances"},
                                     **_problems(404, 412, 428)}),
        },
        f"{api}/roles": {
            "get": _list("adminListApiRoles", "RolePage", "the API's roles by name", "api_id"),
            "post": _op("adminCreateApiRole", parameters=_path("api_id"), requestBody=_json_body("NewRole"),
                        responses={"201": _ok("Role", "created"), **_problems(400, 404, 409, 415)}),
        },
        f"{api}/roles/{{name}}": {
            "delete": _op("adminDeleteApiRole", parameters=_path("api_id", "name"),
                          responses={"204": {"description": "deleted, with its assignments"}, **_problems(404)}),
        },
        f"{api}/roles/{{name}}/users/{{user_id}}": _set("RoleUser", "api_id", "name", "user_id",
                                                        put="the user holds the role"),
        f"{api}/roles/{{name}}/groups/{{group_id}}": _set("RoleGroup", "api_id", "name", "group_id",
                                                          put="the group's members hold the role"),
        f"{api}/clients": {"get": _list("adminListApiClients", "AllowancePage", "clients allowed the API", "api_id")},
        f"{api}/clients/{{client_id}}": _set("ApiClient", "api_id", "client_id", body="Allowance",
                                             put="the client may ask tokens for the API"),
        f"{PREFIX}/groups": {
            "get": _list("adminListGroups", "GroupPage", "groups by name"),
            "post": _op("adminCreateGroup", requestBody=_json_body("NewGroup"),
                        responses={"201": _ok("Group", "created", {**_ETAG, "Location": {"schema": _S}}),
                                   **_problems(400, 409, 415)}),
        },
        group: {
            "get": _op("adminGetGroup", parameters=_path("group_id"),
                       responses={"200": _ok("Group", "the group", _ETAG), **_problems(404)}),
            "delete": _op("adminDeleteGroup", parameters=[*_path("group_id"), _IF_MATCH],
                          responses={"204": {"description": "deleted, with its memberships and role assignments"},
                                     **_problems(404, 412, 428)}),
        },
        f"{group}/members": {"get": _list("adminListGroupMembers", "MemberPage", "users directly in the group",
                                          "group_id")},
        f"{group}/members/{{user_id}}": _set("GroupMember", "group_id", "user_id"),
        f"{group}/groups": {"get": _list("adminListNestedGroups", "GroupPage", "groups directly inside the group",
                                         "group_id")},
        f"{group}/groups/{{child_id}}": _set("NestedGroup", "group_id", "child_id"),
    }


def _object(required: list[str], **properties) -> dict:
    return {"type": "object", "additionalProperties": False, "required": required, "properties": properties}


_API_PROPERTIES = {
    "identifier": {"type": "string", "description": "an absolute URI without a fragment (RFC 8707 2): `aud`"},
    "name": _S, "scopes": {"type": "object", "additionalProperties": _S, "description": "scope -> description"},
    "role_scopes": {"type": ["array", "null"], "items": _S},
    "access_token_ttl": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_TTL},
    "dpop_only": {"type": "boolean"}, "resource_server": _NULLABLE_S, "claim_mappings": CLAIM_MAPPINGS,
}


def schemas() -> dict:
    return {
        "Api": _object(["id", *_API_PROPERTIES], id=_S, **_API_PROPERTIES),
        "NewApi": {"type": "object", "additionalProperties": False, "required": ["identifier", "name"],
                   "properties": _API_PROPERTIES},
        "ApiChanges": {"type": "object", "additionalProperties": False, "properties": _API_PROPERTIES},
        "ApiPage": _page("Api"),
        "Role": _object(["id", "name", "scopes", "description"], id=_S, name=_S, scopes=_STRINGS,
                        description=_NULLABLE_S),
        "NewRole": {"type": "object", "additionalProperties": False, "required": ["name"],
                    "properties": {"name": _S, "scopes": _STRINGS, "description": _NULLABLE_S}},
        "RolePage": _page("Role"),
        "Allowance": {"type": "object", "additionalProperties": False, "properties": {
            "scopes": {"type": ["array", "null"], "items": _S}, "default": {"type": "boolean"}}},
        "AllowanceGranted": _object(["client_id", "scopes", "default"], client_id=_S,
                                    scopes={"type": ["array", "null"], "items": _S}, default={"type": "boolean"}),
        "AllowancePage": _page("AllowanceGranted"),
        "Group": _object(["id", "name", "organization_id"], id=_S, name=_S, organization_id=_NULLABLE_S),
        "NewGroup": _object(["name"], name=_S, organization=_S),
        "GroupPage": _page("Group"),
        "Member": _object(["user_id", "email"], user_id=_S, email=_S),
        "MemberPage": _page("Member"),
    }
