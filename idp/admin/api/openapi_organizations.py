"""The admin API's organizations in /openapi.json (OpenAPI 3.1, issue 33), beside openapi_apis.py
(whose helpers it shares), exercised by tests/test_openapi.py."""

from __future__ import annotations

from idp.admin.api.framework import PREFIX
from idp.admin.api.openapi import _ETAG, _IF_MATCH, _S, _json_body, _ok, _page, _problems
from idp.admin.api.openapi_apis import _NULLABLE_S, _list, _object, _op, _path

_COLOR = {"type": ["string", "null"], "pattern": "^#[0-9a-fA-F]{6}$"}
_BRANDING = {"type": "object", "additionalProperties": False,
             "properties": {"logo_url": _NULLABLE_S, "primary_color": _COLOR, "background_color": _COLOR,
                            "display_name": _NULLABLE_S}}
_ORG_PROPERTIES = {"slug": {"type": "string", "pattern": "^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"},
                   "name": _S, "branding": _BRANDING, "domain_membership": {"type": "boolean"}}
_ROLE = _object(["api", "name"], api=_NULLABLE_S, name=_S)


def paths() -> dict:
    org, member = f"{PREFIX}/organizations/{{organization_id}}", f"{PREFIX}/organizations/{{organization_id}}/members/{{user_id}}"
    return {
        f"{PREFIX}/organizations": {
            "get": _list("adminListOrganizations", "OrganizationPage",
                         "organizations by slug (an organization-limited client: its own only)"),
            "post": _op("adminCreateOrganization", requestBody=_json_body("NewOrganization"),
                        responses={"201": _ok("Organization", "created", {**_ETAG, "Location": {"schema": _S}}),
                                   **_problems(400, 404, 409, 415)}),
        },
        org: {
            "get": _op("adminGetOrganization", parameters=_path("organization_id"),
                       responses={"200": _ok("Organization", "the organization (by id or slug)", _ETAG),
                                  **_problems(404)}),
            "patch": _op("adminUpdateOrganization", parameters=[*_path("organization_id"), _IF_MATCH],
                         requestBody=_json_body("OrganizationChanges", "application/json",
                                                "application/merge-patch+json"),
                         responses={"200": _ok("Organization", "changed", _ETAG),
                                    **_problems(400, 404, 409, 412, 415, 428)}),
            "delete": _op("adminDeleteOrganization", parameters=[*_path("organization_id"), _IF_MATCH],
                          responses={"204": {"description": "deleted, with its memberships and roles"},
                                     **_problems(404, 412, 428)}),
        },
        f"{org}/members": {"get": _list("adminListOrganizationMembers", "OrganizationMemberPage",
                                        "members by user_id, with their roles in the organization",
                                        "organization_id")},
        member: {
            "get": _op("adminGetOrganizationMember", parameters=_path("organization_id", "user_id"),
                       responses={"200": _ok("OrganizationMember", "the member"), **_problems(404)}),
            "put": _op("adminAddOrganizationMember", parameters=_path("organization_id", "user_id"),
                       responses={"200": _ok("OrganizationMember", "a member (again: no change)"),
                                  **_problems(404)}),
            "delete": _op("adminRemoveOrganizationMember", parameters=_path("organization_id", "user_id"),
                          responses={"204": {"description": "no longer a member, nor holding its roles"},
                                     **_problems(404)}),
        },
        f"{member}/roles": {
            "get": _op("adminListOrganizationMemberRoles", parameters=_path("organization_id", "user_id"),
                       responses={"200": _ok("OrganizationRoles", "the member's roles in the organization"),
                                  **_problems(404)}),
            "put": _op("adminSetOrganizationMemberRoles", parameters=_path("organization_id", "user_id"),
                       requestBody=_json_body("OrganizationRolesChange"),
                       responses={"200": _ok("OrganizationRoles", "replaced"), **_problems(400, 404, 415)}),
        },
        f"{org}/domains": {
            "get": _list("adminListOrganizationDomains", "OrganizationDomainPage", "email domains by name",
                         "organization_id"),
            "post": _op("adminClaimOrganizationDomain", parameters=_path("organization_id"),
                        requestBody=_json_body("NewOrganizationDomain"),
                        responses={"201": _ok("OrganizationDomain", "claimed, not yet verified"),
                                   **_problems(400, 404, 409, 415)}),
        },
        f"{org}/domains/{{domain}}": {
            "get": _op("adminGetOrganizationDomain", parameters=_path("organization_id", "domain"),
                       responses={"200": _ok("OrganizationDomain", "the domain"), **_problems(404)}),
            "delete": _op("adminRemoveOrganizationDomain", parameters=_path("organization_id", "domain"),
                          responses={"204": {"description": "no longer the organization's"}, **_problems(404)}),
        },
        f"{org}/domains/{{domain}}/verify": {
            "post": _op("adminVerifyOrganizationDomain", parameters=_path("organization_id", "domain"),
                        responses={"200": _ok("OrganizationDomain", "verified"),
                                   **_problems(404, 409)}),
        },
        f"{org}/invitations": {
            "get": _list("adminListOrganizationInvitations", "OrganizationInvitationPage", "invitations by id",
                         "organization_id"),
            "post": _op("adminInviteToOrganization", parameters=_path("organization_id"),
                        requestBody=_json_body("NewOrganizationInvitation"),
                        responses={"201": _ok("OrganizationInvitation", "sent by email (the link is never answered)"),
                                   **_problems(400, 404, 415)}),
        },
        f"{org}/groups": {
            "get": _list("adminListOrganizationGroups", "GroupPage", "the organization's groups by name",
                         "organization_id"),
            "post": _op("adminCreateOrganizationGroup", parameters=_path("organization_id"),
                        requestBody=_json_body("NewOrganizationGroup"),
                        responses={"201": _ok("Group", "created", {"Location": {"schema": _S}}),
                                   **_problems(400, 404, 409, 415)}),
        },
        f"{org}/groups/{{group_id}}": {
            "get": _op("adminGetOrganizationGroup", parameters=_path("organization_id", "group_id"),
                       responses={"200": _ok("Group", "the group (by id or name)"), **_problems(404)}),
            "delete": _op("adminDeleteOrganizationGroup", parameters=_path("organization_id", "group_id"),
                          responses={"204": {"description": "deleted, with its memberships and roles"},
                                     **_problems(404)}),
        },
        f"{org}/groups/{{group_id}}/members": {
            "get": _list("adminListOrganizationGroupMembers", "MemberPage", "its members by user_id",
                         "organization_id", "group_id"),
        },
        f"{org}/groups/{{group_id}}/members/{{user_id}}": {
            "put": _op("adminAddOrganizationGroupMember", parameters=_path("organization_id", "group_id", "user_id"),
                       responses={"204": {"description": "added (again: no change)"}, **_problems(404)}),
            "delete": _op("adminRemoveOrganizationGroupMember",
                          parameters=_path("organization_id", "group_id", "user_id"),
                          responses={"204": {"description": "removed"}, **_problems(404)}),
        },
        f"{org}/groups/{{group_id}}/roles": {
            "get": _op("adminListOrganizationGroupRoles", parameters=_path("organization_id", "group_id"),
                       responses={"200": _ok("OrganizationGroupRoles", "the roles it gives in the organization"),
                                  **_problems(404)}),
            "put": _op("adminSetOrganizationGroupRoles", parameters=_path("organization_id", "group_id"),
                       requestBody=_json_body("OrganizationGroupRolesChange"),
                       responses={"200": _ok("OrganizationGroupRoles", "replaced"), **_problems(400, 404, 415)}),
        },
        f"{org}/invitations/{{invitation_id}}": {
            "delete": _op("adminRevokeOrganizationInvitation", parameters=_path("organization_id", "invitation_id"),
                          responses={"204": {"description": "its link no longer works"}, **_problems(404)}),
        },
    }


def schemas() -> dict:
    return {
        "Organization": _object(["id", "slug", "name", "domain_membership", "branding"], id=_S, **_ORG_PROPERTIES),
        "NewOrganization": {"type": "object", "additionalProperties": False, "required": ["slug", "name"],
                            "properties": _ORG_PROPERTIES},
        "OrganizationChanges": {"type": "object", "additionalProperties": False, "properties": _ORG_PROPERTIES},
        "OrganizationPage": _page("Organization"),
        "OrganizationRole": _ROLE,
        "OrganizationMember": _object(["user_id", "email", "roles"], user_id=_S, email=_S,
                                      roles={"type": "array", "items": {"$ref": "#/components/schemas/OrganizationRole"}}),
        "OrganizationMemberPage": _page("OrganizationMember"),
        "OrganizationRoles": _object(["items"], items={"type": "array",
                                                       "items": {"$ref": "#/components/schemas/OrganizationRole"}}),
        "OrganizationDomain": _object(["domain", "verified", "verification"], domain=_S,
                                      verified={"type": "boolean"},
                                      verification=_object(["type", "name", "value"], type={"const": "dns-txt"},
                                                           name=_S, value=_S)),
        "OrganizationDomainPage": _page("OrganizationDomain"),
        "NewOrganizationDomain": _object(["domain"], domain=_S),
        "OrganizationInvitation": _object(["id", "email", "expires_at", "accepted", "roles"], id=_S, email=_S,
                                          expires_at={"type": "string", "format": "date-time"},
                                          accepted={"type": "boolean"},
                                          roles={"type": "array", "items": {"$ref": "#/components/schemas/OrganizationRole"}}),
        "OrganizationInvitationPage": _page("OrganizationInvitation"),
        "NewOrganizationInvitation": _object(["email"], email=_S, ttl={"type": "integer", "minimum": 300},
                                             roles={"type": "array",
                                                    "items": {"$ref": "#/components/schemas/OrganizationRole"}}),
        "NewOrganizationGroup": _object(["name"], name=_S),
        "OrganizationGroupRole": _object(["api", "name"], api=_S, name=_S),
        "OrganizationGroupRoles": _object(["items"], items={"type": "array", "items": {
            "$ref": "#/components/schemas/OrganizationGroupRole"}}),
        "OrganizationGroupRolesChange": _object(["roles"], roles={"type": "array", "items": {
            "$ref": "#/components/schemas/OrganizationGroupRole"}}),
        "OrganizationRolesChange": _object(["roles"], roles={"type": "array", "items": {
            "$ref": "#/components/schemas/OrganizationRole"}}),
    }
