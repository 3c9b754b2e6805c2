"""Who holds what and the lists' search (issue 34) in /openapi.json (OpenAPI 3.1), beside
openapi_apis.py (whose helpers it shares), exercised by tests/test_openapi.py."""

from __future__ import annotations

from idp.admin.api.framework import PREFIX
from idp.admin.api.openapi import _query
from idp.admin.api.openapi_apis import _NULLABLE_S, _STRINGS, _list, _object, _op, _path
from idp.admin.api.openapi import _S, _ok, _problems
from idp.administration.search import COUNT_CAP, MAX_QUERY

# The lists ?q= searches (operationId -> its page schema).
SEARCHED = {"adminListUsers": "UserPage", "adminListClients": "ClientPage", "adminListApis": "ApiPage",
            "adminListGroups": "GroupPage"}


def paths() -> dict:
    user, group, role = f"{PREFIX}/users/{{user_id}}", f"{PREFIX}/groups/{{group_id}}", \
        f"{PREFIX}/apis/{{api_id}}/roles/{{name}}"
    return {
        f"{user}/roles": {"get": _list("adminListUserRoles", "RoleHoldingPage",
                                       "the user's effective roles with their sources, by API then role", "user_id")},
        f"{user}/groups": {"get": _list("adminListUserGroups", "GroupHoldingPage",
                                        "the user's groups, direct and through nesting, by name", "user_id")},
        f"{group}/roles": {"get": _list("adminListGroupRoles", "RoleHoldingPage",
                                        "the roles the group's members hold through it", "group_id")},
        f"{group}/parents": {"get": _op("adminListGroupParents", parameters=_path("group_id"),
                                        responses={"200": _ok("GroupHoldingList", "the groups it is inside"),
                                                   **_problems(404)})},
        f"{role}/holders": {"get": _list("adminListRoleHolders", "HolderPage",
                                         "the users who hold the role, directly or through groups, by user id",
                                         "api_id", "name")},
        f"{role}/groups": {"get": _list("adminListRoleGroups", "GroupPage", "the groups the role is assigned to",
                                        "api_id", "name")},
    }


def _page_of(item: str) -> dict:
    return {"type": "object", "required": ["items", "next_cursor"], "additionalProperties": False,
            "properties": {"items": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
                           "next_cursor": _NULLABLE_S}}


_SOURCE = {"type": "object", "additionalProperties": False, "required": ["kind"], "properties": {
    "kind": {"enum": ["direct", "group"]}, "group": _S, "group_id": _S,
    "via": {**_STRINGS, "description": "the groups between the holder and `group`, from the holder outward"}}}


def schemas() -> dict:
    return {
        "RoleHolding": _object(["api_id", "api", "api_name", "role", "scopes", "sources"], api_id=_S,
                               api={"type": "string", "description": "the API's identifier (RFC 8707)"},
                               api_name=_S, role=_S, scopes=_STRINGS, sources={"type": "array", "items": _SOURCE}),
        "RoleHoldingPage": _page_of("RoleHolding"),
        "GroupHolding": _object(["id", "name", "direct", "via"], id=_S, name=_S, direct={"type": "boolean"},
                                via=_STRINGS),
        "GroupHoldingPage": _page_of("GroupHolding"),
        "GroupHoldingList": _object(["items"], items={"type": "array",
                                                      "items": {"$ref": "#/components/schemas/GroupHolding"}}),
        "Holder": _object(["user_id", "email", "name", "direct", "groups"], user_id=_S, email=_S, name=_NULLABLE_S,
                          direct={"type": "boolean"}, groups=_STRINGS),
        "HolderPage": _page_of("Holder"),
    }


def add_search(document: dict) -> None:
    """?q= on the searchable lists, and their pages' count of matches (present when q is given)."""
    for operations in document["paths"].values():
        for operation in operations.values():
            page = SEARCHED.get(operation.get("operationId"))
            if page is None:
                continue
            operation["parameters"] = [_query("q", {"type": "string", "maxLength": MAX_QUERY},
                                              "text any searched name holds (case-insensitive)"),
                                       *operation.get("parameters", [])]
            document["components"]["schemas"][page]["properties"].update(
                count={"type": "integer", "minimum": 0, "maximum": COUNT_CAP,
                       "description": "with q alone (no other filter): how many match, counted up to the cap"},
                count_capped={"type": "boolean", "description": "with q alone: more than `count` match"})
