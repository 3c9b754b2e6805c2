"""A client's organization settings (issue 33) are an operator's alone: whatever a client registers
(RFC 7591), updates (RFC 7592) or an admin API client writes, its `organization_usage`, allowed
organizations and, above all, the organization an admin client is limited to stay as the operator
set them. A limited admin client therefore cannot lift its own limit, nor mint an unlimited one."""

from __future__ import annotations

import requests

from idp.administration import Actor
from idp.organizations.clients import ClientOrganizationAdmin
from tests.admin_api import AdminSession, admin_client, admin_session, client_token
from tests.apis_helpers import uid
from tests.test_registration import WEB_APP, register

SMUGGLED = {"organization_usage": "require", "organization": "acme", "admin_organization": None,
            "allowed_organizations": ["x"], "organizations": ["x"]}


def untouched(idp, client_id):
    settings = idp.services.organizations.client_settings(client_id)
    return settings.usage == "none" and settings.allowed == () and settings.admin_organization is None


def test_registration_and_its_management_never_set_organization_settings_rfc7591_2_rfc7592_2_2(idp):
    token = idp.services.initial_access_tokens.create(600, uses=1)
    body = register(idp, {**WEB_APP, **SMUGGLED}, token).json()
    assert untouched(idp, body["client_id"])
    uri, auth = body["registration_client_uri"], {"Authorization": f"Bearer {body['registration_access_token']}"}
    requests.put(uri, headers=auth, timeout=5, json={**WEB_APP, **SMUGGLED, "client_id": body["client_id"]})
    assert untouched(idp, body["client_id"])


def test_admin_api_client_writes_never_set_organization_settings(idp):
    admin = admin_session(idp)
    made = admin.post("/clients", json={"client_name": "X", "redirect_uris": ["https://x.example/cb"], **SMUGGLED})
    assert made.status_code == 400  # unknown members are refused, never stored
    client, _ = idp.create_client()
    current = admin.get(f"/clients/{client.client_id}")
    patched = admin.patch(f"/clients/{client.client_id}", json=SMUGGLED, headers={"If-Match": current.headers["ETag"]})
    assert patched.status_code == 400 and untouched(idp, client.client_id)


def test_a_limited_admin_client_cannot_lift_its_limit_or_mint_an_unlimited_client(idp):
    admin = admin_session(idp)
    org = admin.post("/organizations", json={"slug": f"lim-{uid()}", "name": "Lim"}).json()
    client, secret = admin_client(idp)
    ClientOrganizationAdmin(idp.services).configure(Actor.operator(), client.client_id, admin_organization=org["id"])
    limited = AdminSession(idp, client_token(idp, client.client_id, secret).json()["access_token"])
    assert limited.get(f"/clients/{client.client_id}").status_code == 404
    assert limited.patch(f"/clients/{client.client_id}", json={"scope": "admin:read"},
                         headers={"If-Match": '"x"'}).status_code == 404
    assert limited.post("/clients", json={"client_name": "Escape", "grant_types": ["client_credentials"],
                                          "scope": "admin:read admin:write"}).status_code == 404
    assert idp.services.organizations.client_settings(client.client_id).admin_organization == org["id"]
    # Its organization deleted: still limited, to nothing.
    assert admin.delete(f"/organizations/{org['id']}",
                        headers={"If-Match": admin.get(f"/organizations/{org['id']}").headers["ETag"]}).status_code == 204
    assert limited.get("/organizations").json()["items"] == [] and limited.get("/users").status_code == 404
