"""/admin/api/v1/webhooks (issue 35): endpoints with validated URLs (https; idp/plumbing/web_urls.py)
and event types from the fixed list, the secret shown once, ETag/If-Match (RFC 9110 13.1.1,
RFC 6585 3), keyset pages, RFC 9457 problems; `idp webhooks` does the same from the command line."""

from __future__ import annotations

import json

from tests.admin_api import admin_session
from tests.apis_helpers import uid
from tests.test_apis_cli import ok, refused

URL = "https://hooks.invalid/idp"  # .invalid (RFC 6761): never resolves, so nothing is ever sent


def test_endpoints_are_created_read_changed_and_deleted_with_etags(idp):
    admin = admin_session(idp)
    created = admin.post("/webhooks", json={"url": URL, "event_types": ["key.rotated", "client.created"],
                                             "description": "CRM"})
    assert created.status_code == 201 and created.headers["Location"].endswith(created.json()["id"])
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["event_types"] == ["client.created", "key.rotated"]
    path = f"/webhooks/{body['id']}"
    shown = admin.get(path)
    assert "secret" not in shown.json() and shown.headers["ETag"] == created.headers["ETag"]
    assert admin.patch(path, json={"enabled": False}).status_code == 428
    assert admin.patch(path, json={"enabled": False}, headers={"If-Match": '"stale"'}).status_code == 412
    changed = admin.patch(path, json={"enabled": False, "description": None}, headers={"If-Match": shown.headers["ETag"]})
    assert changed.status_code == 200 and changed.json()["enabled"] is False and changed.json()["description"] is None
    assert admin.patch(path, json={"enabled": True}, headers={"If-Match": shown.headers["ETag"]}).status_code == 412
    assert admin.delete(path, headers={"If-Match": shown.headers["ETag"]}).status_code == 412
    assert admin.delete(path, headers={"If-Match": changed.headers["ETag"]}).status_code == 204
    gone = admin.get(path)
    assert gone.status_code == 404 and gone.headers["Content-Type"] == "application/problem+json"
    assert [a for a in idp.services.audit_events.list(action="webhook.created", limit=100)
            if a.details.get("endpoint_id") == body["id"]]


def test_bad_input_gets_a_problem_naming_each_field(idp):
    admin = admin_session(idp)
    cases = [({"url": URL, "event_types": ["user.exploded"]}, "event_types"),
             ({"url": URL, "event_types": []}, "event_types"),
             ({"url": "http://hooks.example.com/", "event_types": ["user.created"]}, "url"),
             ({"url": "http://127.0.0.1:9/", "event_types": ["user.created"]}, "url"),  # no WEBHOOK_ALLOW_LOOPBACK
             ({"url": "https://hooks.example.com/#frag", "event_types": ["user.created"]}, "url"),
             ({"url": "javascript:alert(1)", "event_types": ["user.created"]}, "url"),
             ({"url": URL, "event_types": ["user.created"], "secret": "whsec_mine"}, "secret"),
             ({"url": URL, "event_types": ["user.created"], "description": "a\nb"}, "description")]
    for body, field in cases:
        response = admin.post("/webhooks", json=body)
        assert response.status_code == 400, body
        assert response.headers["Content-Type"] == "application/problem+json"
        assert field in [error["name"] for error in response.json()["errors"]], (body, response.json())
    assert admin.post("/webhooks", json={"event_types": ["user.created"]}).status_code == 400
    assert admin.post("/webhooks", data="url=x").status_code == 415
    assert admin.get("/webhooks/not-an-id/deliveries").status_code == 404
    listed = admin.get("/webhooks/event-types").json()["items"]
    assert {"user.created", "organization.member_removed", "key.rotated"} <= {item["type"] for item in listed}


def test_lists_are_keyset_pages(idp):
    admin = admin_session(idp)
    made = [admin.post("/webhooks", json={"url": f"{URL}/{n}", "event_types": ["key.rotated"]}).json()["id"]
            for n in range(3)]
    seen, cursor = [], None
    while True:
        page = admin.get("/webhooks", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [i for i in seen if i in made] == made and len(seen) == len(set(seen))
    assert admin.get("/webhooks", params={"cursor": "bm90LWEtY3Vyc29y"}).status_code == 400
    assert admin.get(f"/webhooks/{made[0]}/deliveries", params={"state": "lost"}).status_code == 400
    for endpoint_id in made:
        etag = admin.get(f"/webhooks/{endpoint_id}").headers["ETag"]
        admin.delete(f"/webhooks/{endpoint_id}", headers={"If-Match": etag})


def test_read_scope_cannot_write(idp):
    reader = admin_session(idp, scope="admin:read")
    assert reader.get("/webhooks").status_code == 200
    assert reader.post("/webhooks", json={"url": URL, "event_types": ["key.rotated"]}).status_code == 403


def test_idp_webhooks_cli_creates_lists_rotates_and_deletes(idp):
    description = f"cli-{uid()}"
    created = json.loads(ok(idp, "webhooks", "create", "--url", URL, "--event", "key.rotated", "--description",
                            description, "--json"))
    assert created["secret"].startswith("whsec_") and created["description"] == description
    assert description in ok(idp, "webhooks", "list")
    assert "key.rotated" in ok(idp, "webhooks", "event-types")
    rotated = json.loads(ok(idp, "webhooks", "rotate-secret", created["id"], "--overlap", "1h", "--json"))
    assert rotated["secret"] != created["secret"] and rotated["previous_secret_valid_until"]
    assert "disabled" in ok(idp, "webhooks", "update", created["id"], "--disable")
    assert ok(idp, "webhooks", "deliveries", created["id"]) == ""
    assert "unknown" in refused(idp, "webhooks", "create", "--url", URL, "--event", "user.exploded")
    assert "https" in refused(idp, "webhooks", "create", "--url", "http://hooks.example.com/", "--event", "key.rotated")
    assert "7 days" in refused(idp, "webhooks", "rotate-secret", created["id"], "--overlap", "30d")
    assert "no delivery" in refused(idp, "webhooks", "replay", created["id"], "12345")
    ok(idp, "webhooks", "delete", created["id"])
    assert "no webhook endpoint" in refused(idp, "webhooks", "show", created["id"])
