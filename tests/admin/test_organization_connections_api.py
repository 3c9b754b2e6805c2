"""/admin/api/v1/organizations/{id}/connections end to end on both live servers (issue 33): enterprise
connections with ETag / If-Match (RFC 9110 13.1.1, 428 / 412), problem details naming every wrong member
(RFC 9457), keyset pages, and a client secret that is write-only and encrypted at rest."""

from __future__ import annotations

from sqlalchemy import select

from idp.store.organization_models import OrganizationConnection
from tests.admin_api import admin_session
from tests.apis_helpers import uid

PROBLEM = "application/problem+json"
OIDC = {"kind": "oidc", "label": "Corp SSO", "client_id": "corp-client", "client_secret": "s3cret-corp-value",
        "discovery_url": "https://SSO.Corp.example/.well-known/openid-configuration"}


def new_org(admin) -> dict:
    return admin.post("/organizations", json={"slug": f"conn-{uid()}", "name": "Conn Inc."}).json()


def test_connection_crud_with_etag_and_a_write_only_secret_rfc9110_13_1_1(idp):
    admin = admin_session(idp)
    org = new_org(admin)
    created = admin.post(f"/organizations/{org['id']}/connections", json=OIDC)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["discovery_url"] == "https://sso.corp.example/.well-known/openid-configuration"  # re-serialised
    assert body["client_secret_set"] is True and "s3cret-corp-value" not in created.text
    assert body["callback_url"] == f"{idp.url}/federation/connections/{body['id']}/callback"
    assert created.headers["Location"].endswith(f"/connections/{body['id']}")
    with idp.services.db.session() as session:
        stored = session.scalar(select(OrganizationConnection.client_secret).where(OrganizationConnection.id == body["id"]))
    assert "s3cret-corp-value" not in stored  # encrypted at rest
    assert idp.services.org_connections.get(body["id"]).secret() == "s3cret-corp-value"

    path = f"/organizations/{org['slug']}/connections/{body['id']}"
    read = admin.get(path)
    assert read.status_code == 200 and "s3cret" not in read.text and read.headers["ETag"] == created.headers["ETag"]
    assert admin.patch(path, json={"label": "x"}).status_code == 428
    assert admin.patch(path, json={"label": "x"}, headers={"If-Match": '"stale"'}).status_code == 412
    rotated = admin.patch(path, json={"client_secret": "rotated-value"}, headers={"If-Match": read.headers["ETag"]})
    assert rotated.status_code == 200 and "rotated-value" not in rotated.text
    assert idp.services.org_connections.get(body["id"]).secret() == "rotated-value"
    kind = admin.patch(path, json={"kind": "github"}, headers={"If-Match": rotated.headers["ETag"]})
    assert kind.status_code == 400 and {e["name"] for e in kind.json()["errors"]} == {"kind"}
    assert admin.delete(path, headers={"If-Match": read.headers["ETag"]}).status_code == 412
    assert admin.delete(path, headers={"If-Match": rotated.headers["ETag"]}).status_code == 204
    gone = admin.get(path)
    assert gone.status_code == 404 and gone.headers["Content-Type"] == PROBLEM
    events = [e for e in idp.services.audit_events.list(action="organization.connection_updated", limit=100)
              if e.details.get("connection_id") == body["id"]]
    assert events and events[0].details["organization_id"] == org["id"]
    assert events[0].details["changed"] == ["client_secret"] and "rotated-value" not in str(events[0].details)


def test_bad_connections_are_refused_naming_each_member_rfc9457(idp):
    admin = admin_session(idp)
    org = new_org(admin)
    url = f"/organizations/{org['id']}/connections"
    response = admin.post(url, json={"kind": "saml", "client_id": ""})
    assert response.status_code == 400 and response.headers["Content-Type"] == PROBLEM
    assert {e["name"] for e in response.json()["errors"]} == {"kind", "client_id", "client_secret"}
    unknown = admin.post(url, json={**OIDC, "secret": "x"})
    assert unknown.status_code == 400 and {e["name"] for e in unknown.json()["errors"]} == {"secret"}
    for bad in ("http://sso.corp.example/.well-known/openid-configuration", "javascript:alert(1)",
                "https://good.example@evil.example/", "https://sso.corp.example/x; img-src *", "https://0x7f.1/",
                "https://sso.corp.example/#frag"):
        response = admin.post(url, json={**OIDC, "discovery_url": bad})
        assert response.status_code == 400 and {e["name"] for e in response.json()["errors"]} == {"discovery_url"}, bad
    missing = admin.post(url, json={k: v for k, v in OIDC.items() if k != "discovery_url"})
    assert {e["name"] for e in missing.json()["errors"]} == {"discovery_url"}
    github = admin.post(url, json={"kind": "github", "client_id": "a", "client_secret": "b",
                                   "discovery_url": OIDC["discovery_url"]})
    assert {e["name"] for e in github.json()["errors"]} == {"discovery_url"}
    assert admin.post(f"/organizations/no-such-org-{uid()}/connections", json=OIDC).status_code == 404


def test_connections_are_keyset_pages(idp):
    admin = admin_session(idp)
    org = new_org(admin)
    made = sorted(admin.post(f"/organizations/{org['id']}/connections",
                             json={"kind": "google", "client_id": f"g-{n}", "client_secret": "x"}).json()["id"]
                  for n in range(5))
    seen, cursor = [], None
    while True:
        page = admin.get(f"/organizations/{org['id']}/connections",
                         params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        assert len(page["items"]) <= 2 and all(c["label"] == "Google" for c in page["items"])
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made


def test_rewrap_also_re_encrypts_connection_secrets(tmp_path):
    """`idp keys rewrap` (a new KEY_ENCRYPTION_KEY) re-encrypts connections' secrets with the signing keys."""
    from idp.plumbing.encryption import KeyWrapper
    from idp.store.db import Database
    from idp.store.migrate import upgrade
    from idp.store.organization_connections import OrganizationConnections
    from idp.store.organizations import Organizations
    from idp.tokens.keys import KeyManager

    url = f"sqlite:///{tmp_path}/rewrap.sqlite"
    upgrade(url)
    manager = KeyManager(Database(url), "old-kek-" * 5, cache_seconds=0)
    manager.ensure_signing_keys()
    org = Organizations(Database(url)).create(slug="rewrap", name="Rewrap")
    made = OrganizationConnections(Database(url), KeyWrapper("old-kek-" * 5)).create(
        org.id, "github", "GitHub", "app", "connection-secret")
    manager.rewrap("new-kek-" * 5)
    assert OrganizationConnections(Database(url), KeyWrapper("new-kek-" * 5)).get(made.id).secret() \
        == "connection-secret"
