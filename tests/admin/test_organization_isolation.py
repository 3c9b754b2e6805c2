"""Delegated administration and tenant isolation (issue 33), end to end on both live servers: an admin
API client limited to organization A (`idp clients create … --organization A`) manages A's members,
their roles and A's branding, and EVERY admin API route (enumerated from the app's url_map, so a
route added later is covered too) answers it 403 or 404 for the resources of organization B and for
every deployment-wide resource, with no data of B in any body."""

from __future__ import annotations

import re
import subprocess
import sys

import requests

from idp.administration import Actor
from idp.organizations.clients import ClientOrganizationAdmin
from tests.admin_api import PREFIX, AdminSession, admin_client, admin_session, client_token
from tests.apis_helpers import uid

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def limited_session(idp, organization: str) -> AdminSession:
    client, secret = admin_client(idp)
    ClientOrganizationAdmin(idp.services).configure(Actor.operator(), client.client_id,
                                                    admin_organization=organization)
    response = client_token(idp, client.client_id, secret)
    assert response.status_code == 200, response.text
    session = AdminSession(idp, response.json()["access_token"])
    session.client_id = client.client_id
    return session


def tenant(idp, admin, name: str) -> tuple[dict, object]:
    """An organization and a user who is its member only."""
    org = admin.post("/organizations", json={"slug": f"{name.lower()}-{uid()}", "name": f"{name} Corp"}).json()
    user = idp.create_user(email=f"{name.lower()}-{uid()}@{name.lower()}.example.com")
    assert admin.put(f"/organizations/{org['id']}/members/{user.id}").status_code == 200
    return org, user


def b_resources(idp, admin, b_org, b_user) -> dict:
    """A real value of every path parameter the admin API has, belonging to B or to the deployment."""
    api = admin.post("/apis", json={"identifier": f"https://b-{uid()}.example.com/", "name": "B API"}).json()
    admin.post(f"/apis/{api['id']}/roles", json={"name": "b-role"})
    group, child = (admin.post("/groups", json={"name": f"b-group-{uid()}"}).json() for _ in range(2))
    client, _ = idp.create_client()
    kid = requests.get(idp.endpoint("/jwks.json"), timeout=5).json()["keys"][0]["kid"]
    domain = b_user.email.rpartition("@")[2]
    assert admin.post(f"/organizations/{b_org['id']}/domains", json={"domain": domain}).status_code == 201
    invitation = admin.post(f"/organizations/{b_org['id']}/invitations", json={"email": f"new-{uid()}@{domain}"})
    assert invitation.status_code == 201
    connection = admin.post(f"/organizations/{b_org['id']}/connections", json={
        "kind": "oidc", "label": "Beta SSO", "client_id": "beta-client", "client_secret": "beta-secret",
        "discovery_url": "https://sso.beta.example.com/.well-known/openid-configuration"})
    assert connection.status_code == 201, connection.text
    job = admin.post("/user-imports?dry_run=true", data=f'{{"email": "job-{uid()}@example.com"}}\n'.encode(),
                     headers={"Content-Type": "application/x-ndjson"})  # a deployment-wide import job
    assert job.status_code == 202
    hook = admin.post("/webhooks", json={"url": "https://hooks.invalid/b", "event_types": ["key.rotated"]})
    assert hook.status_code == 201  # a deployment-wide webhook endpoint (issue 35)
    return {"endpoint_id": hook.json()["id"], "delivery_id": "1", "connection_id": connection.json()["id"], "job_id": job.json()["id"], "domain": domain, "invitation_id": invitation.json()["id"], "user_id": b_user.id, "api_id": api["id"], "name": "b-role", "group_id": group["id"],
            "child_id": child["id"], "client_id": client.client_id, "kid": kid, "token_id": "t-" + uid(),
            "session_id": "s-" + uid(), "event_id": "1"}


def admin_routes(idp) -> list[tuple[str, str]]:
    routes = []
    for rule in idp.app.url_map.iter_rules():
        if rule.rule.startswith(PREFIX):
            routes += [(method, rule.rule) for method in sorted(rule.methods & set(METHODS))]
    return routes


def test_every_admin_route_refuses_organization_b_and_the_deployment_to_an_org_a_client(idp):
    admin = admin_session(idp)
    a, _ = tenant(idp, admin, "Alpha")
    b, b_user = tenant(idp, admin, "Beta")
    limited = limited_session(idp, a["id"])
    values = {**b_resources(idp, admin, b, b_user), "organization_id": b["id"]}
    b_etag = admin.get(f"/organizations/{b['id']}").headers["ETag"]
    secrets_of_b = [b["slug"], b["name"], b_user.email, "_idp-verification", "beta-client", "beta-secret",
                    "sso.beta.example.com"]
    routes = admin_routes(idp)
    assert len(routes) > 50 and ("PUT", f"{PREFIX}/organizations/<organization_id>/members/<user_id>/roles") in routes
    assert ("PATCH", f"{PREFIX}/organizations/<organization_id>/connections/<connection_id>") in routes
    for method, rule in routes:
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], rule)[len(PREFIX):]
        for target in {path, path.replace(b["id"], b["slug"])}:
            response = limited.request(method, target, json={"name": "x", "roles": [], "slug": "x", "label": "x"},
                                       headers={"If-Match": b_etag})
            if (method, rule) == ("GET", f"{PREFIX}/organizations"):
                assert response.status_code == 200 and [o["id"] for o in response.json()["items"]] == [a["id"]]
            else:
                assert response.status_code in (403, 404), (method, target, response.status_code, response.text)
            leaked = [s for s in secrets_of_b + [b["id"], b_user.id] if s in response.text and s not in target]
            assert not leaked, (method, target, leaked)
    # B is untouched: its name, its member.
    assert admin.get(f"/organizations/{b['id']}").json()["name"] == "Beta Corp"
    assert [m["user_id"] for m in admin.get(f"/organizations/{b['id']}/members").json()["items"]] == [b_user.id]


def test_an_org_a_client_manages_its_own_members_roles_and_branding_only(idp):
    admin = admin_session(idp)
    a, a_user = tenant(idp, admin, "Alpha")
    b, b_user = tenant(idp, admin, "Beta")
    limited = limited_session(idp, a["id"])
    own = limited.get(f"/organizations/{a['slug']}")
    assert own.status_code == 200
    branded = limited.patch(f"/organizations/{a['id']}", json={"branding": {"primary_color": "#123456"}},
                            headers={"If-Match": own.headers["ETag"]})
    assert branded.status_code == 200 and branded.json()["branding"]["primary_color"] == "#123456"
    renamed = limited.patch(f"/organizations/{a['id']}", json={"slug": "taken-over"},
                            headers={"If-Match": branded.headers["ETag"]})
    assert renamed.status_code == 400  # the slug is the deployment's to change
    assert limited.delete(f"/organizations/{a['id']}", headers={"If-Match": branded.headers["ETag"]}).status_code == 404
    assert limited.post("/organizations", json={"slug": f"new-{uid()}", "name": "New"}).status_code == 404
    assert [m["user_id"] for m in limited.get(f"/organizations/{a['id']}/members").json()["items"]] == [a_user.id]
    assert limited.put(f"/organizations/{a['id']}/members/{a_user.id}/roles",
                       json={"roles": [{"api": None, "name": "org:admin"}]}).status_code == 200
    # A user of B (or any user outside A's verified domains) cannot be pulled into A and read.
    assert limited.put(f"/organizations/{a['id']}/members/{b_user.id}").status_code == 404
    assert limited.get(f"/organizations/{a['id']}/members/{b_user.id}").status_code == 404
    newcomer = idp.create_user(email=f"new-{uid()}@alpha-{uid()}.example.com")
    domain = newcomer.email.rpartition("@")[2]
    assert limited.put(f"/organizations/{a['id']}/members/{newcomer.id}").status_code == 404  # domain not claimed
    claimed = idp.services.organizations.add_domain(a["id"], domain, "token")
    assert limited.put(f"/organizations/{a['id']}/members/{newcomer.id}").status_code == 404  # not yet verified
    idp.services.organizations.mark_verified(claimed.id)
    added = limited.put(f"/organizations/{a['id']}/members/{newcomer.id}")
    assert added.status_code == 200 and added.json()["email"] == newcomer.email
    assert limited.delete(f"/organizations/{a['id']}/members/{newcomer.id}").status_code == 204
    events = [e for e in idp.services.audit_events.list(action="organization.member_removed", limit=500)
              if e.actor == f"client:{limited.client_id}"]
    assert events and events[0].details["organization_id"] == a["id"]


def test_clients_create_with_organization_limits_the_admin_client_and_refuses_an_unknown_one(idp):
    admin = admin_session(idp)
    a, _ = tenant(idp, admin, "Alpha")

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "idp.cli", *args], env=idp.cli_env(), capture_output=True,
                              text=True, timeout=60)
    name = f"Delegated {uid()}"
    refused = cli("clients", "create", "--name", name, "--scope", "admin:read admin:write", "--organization",
                  "no-such-org")
    assert refused.returncode != 0 and "no organization no-such-org" in refused.stderr
    assert "Traceback" not in refused.stderr
    made = cli("clients", "create", "--name", name, "--scope", "admin:read admin:write", "--organization",
               a["slug"], "--json")
    assert made.returncode == 0, made.stderr
    import json

    created = json.loads(made.stdout)
    settings = idp.services.organizations.client_settings(created["client_id"])
    assert settings.admin_organization == a["id"]
    token = client_token(idp, created["client_id"], created["client_secret"]).json()["access_token"]
    limited = AdminSession(idp, token)
    assert limited.get("/users").status_code == 404
    assert [o["id"] for o in limited.get("/organizations").json()["items"]] == [a["id"]]


def test_an_org_a_client_manages_its_own_connections_only(idp):
    """Delegated administration of enterprise connections: A's own administrator creates, reads, changes
    and deletes A's connections; B's are 404 whether named under B or under A."""
    admin = admin_session(idp)
    a, _ = tenant(idp, admin, "Alpha")
    b, _ = tenant(idp, admin, "Beta")
    limited = limited_session(idp, a["id"])
    body = {"kind": "github", "client_id": "alpha-app", "client_secret": "alpha-secret"}
    mine = limited.post(f"/organizations/{a['id']}/connections", json=body)
    assert mine.status_code == 201 and mine.json()["organization_id"] == a["id"]
    theirs = admin.post(f"/organizations/{b['id']}/connections", json=body).json()
    assert [c["id"] for c in limited.get(f"/organizations/{a['id']}/connections").json()["items"]] == [mine.json()["id"]]
    assert limited.get(f"/organizations/{a['id']}/connections/{theirs['id']}").status_code == 404
    assert limited.get(f"/organizations/{b['id']}/connections/{theirs['id']}").status_code == 404
    assert limited.post(f"/organizations/{b['id']}/connections", json=body).status_code == 404
    changed = limited.patch(f"/organizations/{a['id']}/connections/{mine.json()['id']}", json={"label": "Alpha GitHub"},
                            headers={"If-Match": mine.headers["ETag"]})
    assert changed.status_code == 200 and changed.json()["label"] == "Alpha GitHub"
    assert limited.delete(f"/organizations/{a['id']}/connections/{mine.json()['id']}",
                          headers={"If-Match": changed.headers["ETag"]}).status_code == 204
    events = idp.services.audit_events.list(action="organization.connection_created", limit=50)
    assert any(e.details.get("organization_id") == a["id"] and e.actor == f"client:{limited.client_id}"
               for e in events)
