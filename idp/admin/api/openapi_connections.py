"""The admin API's organizations' enterprise connections in /openapi.json (OpenAPI 3.1, issue 33),
beside openapi_organizations.py, exercised by tests/test_openapi.py."""

from __future__ import annotations

from idp.admin.api.framework import PREFIX
from idp.admin.api.openapi import _ETAG, _IF_MATCH, _S, _json_body, _ok, _page, _problems
from idp.admin.api.openapi_apis import _NULLABLE_S, _list, _object, _op, _path

_KIND = {"enum": ["oidc", "google", "linkedin", "github"]}
_WRITABLE = {"kind": _KIND, "label": _S, "client_id": _S, "client_secret": {"type": "string", "writeOnly": True},
             "discovery_url": {"type": "string", "format": "uri"}}


def paths() -> dict:
    base = f"{PREFIX}/organizations/{{organization_id}}/connections"
    one = _path("organization_id", "connection_id")
    return {
        base: {
            "get": _list("adminListOrganizationConnections", "OrganizationConnectionPage",
                         "enterprise connections by id (never a client secret)", "organization_id"),
            "post": _op("adminCreateOrganizationConnection", parameters=_path("organization_id"),
                        requestBody=_json_body("NewOrganizationConnection"),
                        responses={"201": _ok("OrganizationConnection", "created",
                                              {**_ETAG, "Location": {"schema": _S}}),
                                   **_problems(400, 404, 415)}),
        },
        f"{base}/{{connection_id}}": {
            "get": _op("adminGetOrganizationConnection", parameters=one,
                       responses={"200": _ok("OrganizationConnection", "the connection", _ETAG), **_problems(404)}),
            "patch": _op("adminUpdateOrganizationConnection", parameters=[*one, _IF_MATCH],
                         requestBody=_json_body("OrganizationConnectionChanges", "application/json",
                                                "application/merge-patch+json"),
                         responses={"200": _ok("OrganizationConnection", "changed", _ETAG),
                                    **_problems(400, 404, 412, 415, 428)}),
            "delete": _op("adminDeleteOrganizationConnection", parameters=[*one, _IF_MATCH],
                          responses={"204": {"description": "deleted"}, **_problems(404, 412, 428)}),
        },
    }


def schemas() -> dict:
    return {
        "OrganizationConnection": _object(
            ["id", "organization_id", "kind", "label", "client_id", "discovery_url", "client_secret_set",
             "callback_url"], id=_S, organization_id=_S, kind=_KIND, label=_S, client_id=_S,
            discovery_url=_NULLABLE_S, client_secret_set={"const": True}, callback_url=_S),
        "OrganizationConnectionPage": _page("OrganizationConnection"),
        "NewOrganizationConnection": {"type": "object", "additionalProperties": False,
                                      "required": ["kind", "client_id", "client_secret"], "properties": _WRITABLE},
        "OrganizationConnectionChanges": {"type": "object", "additionalProperties": False,
                                          "properties": {k: v for k, v in _WRITABLE.items() if k != "kind"}},
    }
