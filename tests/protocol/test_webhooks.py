"""Signed webhooks by the Standard Webhooks specification (spec/standard-webhooks.md, issue 35),
end to end: a real local HTTP receiver verifies every signature with the `standardwebhooks`
library (Webhook(secret).verify). The worker takes its clock from the test (run_once(now)), so the
retry schedule (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) is walked without waiting."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from prometheus_client import REGISTRY
from standardwebhooks import WebhookVerificationError

from idp.administration import Actor
from idp.administration.users import UserAdmin
from idp.events.delivery import SCHEDULE, DeliveryWorker
from idp.plumbing.encryption import KeyWrapper
from idp.services import webhook_outbound
from idp.store.models import utcnow
from tests.admin_api import admin_session
from tests.conftest import free_port, serve, start_idp
from tests.webhook_receiver import Receiver

OPERATOR = Actor.operator()


@pytest.fixture(scope="module", params=["postgres", "embedded"])
def hooked(request, tmp_path_factory):
    """An IdP that lets webhooks reach 127.0.0.1 (WEBHOOK_ALLOW_LOOPBACK, tests only); its own
    worker thread is stopped so that each test drives the worker's clock."""
    live, stop = start_idp(request.param, tmp_path_factory, webhook_allow_loopback=True, webhook_sweep=3600.0)
    live.services.webhook_worker.stop()
    yield live
    stop()


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def admin(hooked):
    return admin_session(hooked)


def subscribe(admin, receiver, *types, **extra):
    response = admin.post("/webhooks", json={"url": receiver.url, "event_types": list(types), **extra})
    assert response.status_code == 201, response.text
    return response.json()


def remove(admin, endpoint):
    found = admin.get(f"/webhooks/{endpoint['id']}")
    admin.delete(f"/webhooks/{endpoint['id']}", headers={"If-Match": found.headers["ETag"]})


def new_user(admin, **extra):
    response = admin.post("/users", json={"email": f"hook-{free_port()}-{id(extra)}@example.com", **extra})
    assert response.status_code == 201, response.text
    return response.json()


def deliveries(admin, endpoint, **params):
    return admin.get(f"/webhooks/{endpoint['id']}/deliveries", params=params).json()["items"]


def test_a_delivery_is_signed_as_standard_webhooks_verify_it(hooked, admin, receiver):
    """Spec "Signature scheme" and "Webhook headers": webhook-id, webhook-timestamp, webhook-signature
    (v1,<base64 HMAC-SHA256 of id.timestamp.body>); the payload is {type, timestamp, data}."""
    endpoint = subscribe(admin, receiver, "user.created")
    assert endpoint["secret"].startswith("whsec_")
    assert "secret" not in admin.get(f"/webhooks/{endpoint['id']}").json()  # shown once
    user = new_user(admin, password="a long enough passphrase 42")
    assert hooked.services.webhook_worker.run_once() == 1
    (got,) = receiver.wait_for(1)
    payload = got.verified_by(endpoint["secret"])
    assert payload["type"] == "user.created"
    assert payload["data"] == {"user_id": user["id"], "email": user["email"], "name": None, "email_verified": False}
    assert got.headers["webhook-signature"].startswith("v1,") and " " not in got.headers["webhook-signature"]
    assert b"argon2" not in got.body and b"passphrase" not in got.body  # never a hash or a password
    with pytest.raises(WebhookVerificationError):
        got.verified_by("whsec_" + "A" * 44)  # another secret does not verify it
    (delivery,) = deliveries(admin, endpoint)
    assert delivery["state"] == "delivered" and delivery["event_id"] == got.headers["webhook-id"]
    detail = admin.get(f"/webhooks/{endpoint['id']}/deliveries/{delivery['id']}").json()
    assert [a["status"] for a in detail["history"]] == [204] and detail["history"][0]["duration_ms"] >= 0
    remove(admin, endpoint)


def test_retries_follow_the_schedule_then_give_up_and_a_replay_delivers(hooked, admin, receiver):
    """Spec "Deliverability and reliability": a non-2xx is a failure, retried after 5 s, 5 min, 30 min,
    2 h, 5 h, 10 h and 10 h; then the delivery is failed, and "manual retries" replay it."""
    worker = hooked.services.webhook_worker
    endpoint = subscribe(admin, receiver, "user.deleted")
    user = new_user(admin)
    receiver.status = 500
    current = admin.get(f"/users/{user['id']}")
    admin.delete(f"/users/{user['id']}", headers={"If-Match": current.headers["ETag"]})
    now = utcnow()
    assert worker.run_once(now) == 1
    for attempt, delay in enumerate(SCHEDULE[1:], start=2):
        assert worker.run_once(now + dt.timedelta(seconds=delay - 1)) == 0  # not due yet
        now += dt.timedelta(seconds=delay)
        assert worker.run_once(now) == 1, attempt
    assert worker.run_once(now + dt.timedelta(days=30)) == 0  # eight attempts, no ninth
    received = receiver.wait_for(8)
    assert len({r.headers["webhook-id"] for r in received}) == 1  # one id however often retried
    for got in received:
        got.verified_by(endpoint["secret"])
    (delivery,) = deliveries(admin, endpoint)
    assert delivery["state"] == "failed" and delivery["attempts"] == 8 and delivery["last_status"] == 500
    detail = admin.get(f"/webhooks/{endpoint['id']}/deliveries/{delivery['id']}").json()
    assert [a["status"] for a in detail["history"]] == [500] * 8
    receiver.status = 200
    replay = admin.post(f"/webhooks/{endpoint['id']}/deliveries/{delivery['id']}/replay")
    assert replay.status_code == 202 and replay.json()["state"] == "pending"
    assert worker.run_once() == 1
    assert receiver.wait_for(9)[-1].headers["webhook-id"] == received[0].headers["webhook-id"]
    assert [d["state"] for d in deliveries(admin, endpoint)] == ["delivered", "failed"]
    assert admin.post(f"/webhooks/{endpoint['id']}/deliveries/999999999/replay").status_code == 404
    remove(admin, endpoint)


def test_one_users_events_arrive_in_order(hooked, admin, receiver):
    """A user's later event is not delivered to an endpoint before their earlier one, even while
    the earlier one is being retried; other users' events do not wait for it."""
    worker = hooked.services.webhook_worker
    endpoint = subscribe(admin, receiver, "user.created", "user.updated", "user.disabled")
    receiver.status = 503
    first = new_user(admin)
    current = admin.get(f"/users/{first['id']}")
    admin.patch(f"/users/{first['id']}", json={"name": "Renamed"}, headers={"If-Match": current.headers["ETag"]})
    now = utcnow()
    assert worker.run_once(now) == 1  # only user.created: user.updated waits behind it
    receiver.status = 204
    other = new_user(admin)
    assert worker.run_once(utcnow()) == 1  # the other user's event is not held up
    assert worker.run_once(now + dt.timedelta(seconds=5)) == 1  # the retry of user.created
    assert worker.run_once(now + dt.timedelta(seconds=5)) == 1  # now user.updated
    bodies = [json.loads(r.body) for r in receiver.wait_for(4)]
    firsts = [(b["type"], b["data"]) for b in bodies if b["data"]["user_id"] == first["id"]]
    assert [t for t, _ in firsts] == ["user.created", "user.created", "user.updated"]
    assert firsts[-1][1] == {"user_id": first["id"], "changed": {"name": "Renamed"}}
    assert any(b["data"]["user_id"] == other["id"] for b in bodies)
    remove(admin, endpoint)


def test_a_rolled_back_change_sends_nothing_and_no_change_goes_without_its_event(hooked, admin, receiver,
                                                                              monkeypatch):
    """The outbox row is written in the change's own transaction (idp/events/outbox.py)."""
    svc = hooked.services
    endpoint = subscribe(admin, receiver, "user.created")
    email = f"rolled-back-{free_port()}@example.com"
    with pytest.raises(RuntimeError):
        with svc.events.change():
            user = svc.users.create(email, None, "Never")
            svc.events.emit("user.created", {"user_id": user.id}, user_id=user.id)
            raise RuntimeError("the change fails after its event was written")
    assert svc.users.by_email(email) is None
    assert deliveries(admin, endpoint) == []

    def outbox_down(*args, **kwargs):
        raise RuntimeError("the outbox cannot be written")

    monkeypatch.setattr(svc.webhooks, "add_event", outbox_down)
    with pytest.raises(RuntimeError):
        UserAdmin(svc).create(OPERATOR, email=email)
    assert svc.users.by_email(email) is None  # no user without its user.created
    monkeypatch.undo()
    duplicate = admin.post("/users", json={"email": new_user(admin)["email"]})
    assert duplicate.status_code == 409
    assert svc.webhook_worker.run_once() == 1  # the one user created, not the refused duplicate
    assert len(receiver.wait_for(1)) == 1
    remove(admin, endpoint)


def test_the_ssrf_guard_refuses_private_addresses(hooked, admin, receiver):
    """Spec "Server side request forgery": no private address as a URL, nor as what a name resolves
    to when sending (the federation's outbound guard, idp/plumbing/outbound.py)."""
    for url in ("https://10.0.0.7/hook", "https://192.168.1.1/hook", "https://[fd00::1]/hook",
                "https://169.254.169.254/latest", "http://example.com/hook", "https://user@example.com/"):
        refused = admin.post("/webhooks", json={"url": url, "event_types": ["user.created"]})
        assert refused.status_code == 400 and [e["name"] for e in refused.json()["errors"]] == ["url"], url
        assert refused.headers["Content-Type"] == "application/problem+json"
    svc = hooked.services
    endpoint = subscribe(admin, receiver, "user.created")
    strict = DeliveryWorker(svc.webhooks, webhook_outbound(dataclasses.replace(svc.config,
                                                                                webhook_allow_loopback=False)),
                            KeyWrapper(svc.config.key_encryption_key), svc.audit_events, disable_after=0,
                            timeout=5, sweep=3600)
    new_user(admin)
    assert strict.run_once() == 1
    (delivery,) = deliveries(admin, endpoint)
    assert delivery["state"] == "pending" and delivery["last_status"] is None
    assert "non-public address" in delivery["last_error"]
    assert receiver.received == []
    remove(admin, endpoint)


def test_a_rotated_secret_and_the_previous_one_both_sign_during_the_overlap(hooked, admin, receiver):
    """Spec "Webhook headers": several space-separated signatures for zero-downtime rotation."""
    worker = hooked.services.webhook_worker
    endpoint = subscribe(admin, receiver, "user.created")
    path = f"/webhooks/{endpoint['id']}/rotate-secret"
    assert admin.post(path, json={"overlap_seconds": 3600}).status_code == 428
    etag = admin.get(f"/webhooks/{endpoint['id']}").headers["ETag"]
    rotated = admin.post(path, json={"overlap_seconds": 3600}, headers={"If-Match": etag})
    assert rotated.status_code == 200 and rotated.json()["secret"] != endpoint["secret"]
    assert rotated.json()["previous_secret_valid_until"]
    new_user(admin)
    worker.run_once()
    (got,) = receiver.wait_for(1)
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    got.verified_by(endpoint["secret"])
    got.verified_by(rotated.json()["secret"])
    again = admin.post(path, json={"overlap_seconds": 0}, headers={"If-Match": rotated.headers["ETag"]})
    new_user(admin)
    worker.run_once()
    latest = receiver.wait_for(2)[-1]
    latest.verified_by(again.json()["secret"])
    with pytest.raises(WebhookVerificationError):
        latest.verified_by(rotated.json()["secret"])  # no overlap: the old secret signs no more
    remove(admin, endpoint)


def test_nothing_is_lost_across_a_restart_mid_schedule(hooked, admin, receiver):
    """The outbox is in the database: a new process (new services, new worker) finishes the schedule."""
    endpoint = subscribe(admin, receiver, "user.created")
    receiver.status = 500
    new_user(admin)
    now = utcnow()
    assert hooked.services.webhook_worker.run_once(now) == 1
    restarted, stop = serve(dataclasses.replace(hooked.services.config, port=free_port()))
    try:
        restarted.services.webhook_worker.stop()
        receiver.status = 204
        assert restarted.services.webhook_worker.run_once(now + dt.timedelta(seconds=5)) == 1
    finally:
        stop()
    received = receiver.wait_for(2)
    assert received[0].headers["webhook-id"] == received[1].headers["webhook-id"]
    assert [d["state"] for d in deliveries(admin, endpoint)] == ["delivered"]
    remove(admin, endpoint)


def test_an_endpoint_failing_for_the_whole_period_is_disabled(hooked, admin, receiver):
    """WEBHOOK_DISABLE_AFTER: disabled with an audit event and idp_webhook_endpoints_disabled_total;
    410 Gone disables at once (spec "Delivery success and failure")."""
    svc = hooked.services
    worker = DeliveryWorker(svc.webhooks, webhook_outbound(svc.config), KeyWrapper(svc.config.key_encryption_key),
                            svc.audit_events, disable_after=600, timeout=5, sweep=3600)
    before = REGISTRY.get_sample_value("idp_webhook_endpoints_disabled_total") or 0
    endpoint = subscribe(admin, receiver, "user.created")
    receiver.status = 500
    new_user(admin)
    now = utcnow()
    worker.run_once(now)
    worker.run_once(now + dt.timedelta(seconds=5))
    worker.run_once(now + dt.timedelta(seconds=305))  # failing for 305 s: still enabled
    assert admin.get(f"/webhooks/{endpoint['id']}").json()["enabled"] is True
    worker.run_once(now + dt.timedelta(seconds=2105))  # failing for 2105 s > 600 s
    document = admin.get(f"/webhooks/{endpoint['id']}").json()
    assert document["enabled"] is False and document["disabled_reason"] == "failing"
    assert REGISTRY.get_sample_value("idp_webhook_endpoints_disabled_total") == before + 1
    assert [e for e in svc.audit_events.list(action="webhook.endpoint_disabled", limit=50)
            if e.details.get("endpoint_id") == endpoint["id"]]
    assert worker.run_once(now + dt.timedelta(days=1)) == 0  # a disabled endpoint gets nothing
    etag = admin.get(f"/webhooks/{endpoint['id']}").headers["ETag"]
    enabled = admin.patch(f"/webhooks/{endpoint['id']}", json={"enabled": True}, headers={"If-Match": etag})
    assert enabled.json()["failing_since"] is None
    receiver.status = 410
    worker.run_once(now + dt.timedelta(days=1))
    assert admin.get(f"/webhooks/{endpoint['id']}").json()["disabled_reason"] == "gone"
    remove(admin, endpoint)


def test_the_idps_own_worker_thread_delivers_without_being_asked(hooked, admin, receiver):
    """As the mail sender, the worker runs inside every IdP process (started by the app factory)."""
    endpoint = subscribe(admin, receiver, "user.created", "user.disabled")
    worker = hooked.services.webhook_worker
    worker.start()
    try:
        user = new_user(admin)
        current = admin.get(f"/users/{user['id']}")
        admin.patch(f"/users/{user['id']}", json={"disabled": True}, headers={"If-Match": current.headers["ETag"]})
        types = [r.verified_by(endpoint["secret"])["type"] for r in receiver.wait_for(2, timeout=20)]
    finally:
        worker.stop()
    assert types == ["user.created", "user.disabled"]
    remove(admin, endpoint)


def test_rewrap_also_re_encrypts_webhook_secrets(tmp_path):
    """`idp keys rewrap` (a new KEY_ENCRYPTION_KEY) keeps every endpoint's secret, and the previous
    one during a rotation's overlap, readable: webhooks stay signed by what receivers hold."""
    from idp.events.delivery import secret_kid
    from idp.store.db import Database
    from idp.store.migrate import upgrade
    from idp.store.webhooks import Webhooks
    from idp.tokens.keys import KeyManager

    url = f"sqlite:///{tmp_path}/rewrap.sqlite"
    upgrade(url)
    old, new = KeyWrapper("old-kek-" * 5), KeyWrapper("new-kek-" * 5)
    webhooks = Webhooks(Database(url))
    endpoint = webhooks.create_endpoint("https://hooks.invalid/", None, ["key.rotated"], True,
                                        old.wrap(b"whsec_current", secret_kid("e1")), "e1")
    webhooks.update_endpoint("e1", endpoint.version, previous_secret=old.wrap(b"whsec_previous", secret_kid("e1")))
    manager = KeyManager(Database(url), "old-kek-" * 5, cache_seconds=0)
    manager.ensure_signing_keys()
    manager.rewrap("new-kek-" * 5)
    stored = webhooks.endpoint("e1")
    assert new.unwrap(stored.secret, secret_kid("e1")) == b"whsec_current"
    assert new.unwrap(stored.previous_secret, secret_kid("e1")) == b"whsec_previous"


def test_clients_keys_and_memberships_send_their_events_with_ids_never_secrets(hooked, admin, receiver):
    """client.created/updated/deleted, key.rotated, organization.member_added/removed: stable payloads of
    ids and changed field names (docs/webhooks.md)."""
    endpoint = subscribe(admin, receiver, "client.created", "client.updated", "client.deleted", "key.rotated",
                         "organization.member_added", "organization.member_removed")
    created = admin.post("/clients", json={"client_name": "Hooked RP", "redirect_uris": ["https://rp.example.com/cb"]})
    assert created.status_code == 201, created.text
    client_id = created.json()["client_id"]
    changed = admin.patch(f"/clients/{client_id}", json={"client_name": "Renamed RP"},
                          headers={"If-Match": created.headers["ETag"]})
    admin.delete(f"/clients/{client_id}", headers={"If-Match": changed.headers["ETag"]})
    current = admin.get("/keys").json()
    rotated = admin.post("/keys/rotate", json={"alg": "RS256", "force": True})
    assert rotated.status_code == 200, rotated.text
    org = admin.post("/organizations", json={"slug": f"hooked-{free_port()}", "name": "Hooked"}).json()
    member = hooked.create_user()
    admin.put(f"/organizations/{org['id']}/members/{member.id}")
    admin.delete(f"/organizations/{org['id']}/members/{member.id}")
    while hooked.services.webhook_worker.run_once():
        pass
    bodies = [r.verified_by(endpoint["secret"]) for r in receiver.wait_for(6)]
    by_type = {b["type"]: b["data"] for b in bodies}
    assert by_type["client.created"]["client_id"] == client_id and "redirect_uris" in by_type["client.created"]["fields"]
    assert by_type["client.updated"] == {"client_id": client_id, "fields": ["client_name"]}
    assert by_type["client.deleted"] == {"client_id": client_id}
    assert by_type["key.rotated"]["kid"] == rotated.json()["kid"] and by_type["key.rotated"]["alg"] == "RS256"
    assert by_type["key.rotated"]["previous_kid"] in {k["kid"] for k in current["items"]}
    assert by_type["organization.member_added"] == {"organization_id": org["id"], "user_id": member.id}
    assert by_type["organization.member_removed"] == by_type["organization.member_added"]
    assert created.json().get("client_secret") and created.json()["client_secret"].encode() not in b"".join(
        r.body for r in receiver.received)
    remove(admin, endpoint)


def test_sign_ins_failures_password_changes_and_sign_outs_arrive_in_the_users_order(hooked, admin, receiver):
    """The hosted pages' events, from a real browser session, delivered in the order they happened."""
    from tests.conftest import PASSWORD, Browser
    from tests.flows import sign_in, submit

    endpoint = subscribe(admin, receiver, "user.signed_in", "user.sign_in_failed", "user.password_changed",
                         "session.ended")
    user = hooked.create_user()
    browser = Browser(hooked)
    sign_in(browser, user.email, "not the password at all")
    assert sign_in(browser, user.email).url == hooked.endpoint("/account")
    new_password = PASSWORD + " and more"
    changed = submit(browser, "/account/password", current_password=PASSWORD, password=new_password)
    assert changed.status_code == 200
    submit(browser, "/logout")
    while hooked.services.webhook_worker.run_once():
        pass
    events = [(b["type"], b["data"]) for b in (json.loads(r.body) for r in receiver.received)
              if b["data"].get("user_id") == user.id]
    assert [t for t, _ in events] == ["user.sign_in_failed", "user.signed_in", "user.password_changed",
                                      "session.ended"], events
    assert events[0][1] == {"user_id": user.id, "reason": "credentials"}
    assert events[1][1]["amr"] == ["pwd"] and events[3][1]["reason"] == "signed_out"
    body = b"".join(r.body for r in receiver.received)
    assert new_password.encode() not in body and PASSWORD.encode() not in body
    remove(admin, endpoint)


def test_a_lockout_sends_user_locked_after_the_failures(hooked, admin, receiver):
    """MAX_LOGIN_ATTEMPTS failures in a row: user.sign_in_failed each time, then user.locked."""
    from tests.conftest import Browser
    from tests.flows import sign_in

    endpoint = subscribe(admin, receiver, "user.sign_in_failed", "user.locked")
    user = hooked.create_user()
    browser = Browser(hooked)
    for _ in range(hooked.services.config.max_login_attempts):
        sign_in(browser, user.email, "wrong wrong wrong")
    while hooked.services.webhook_worker.run_once():
        pass
    types = [json.loads(r.body)["type"] for r in receiver.received]
    assert types == ["user.sign_in_failed"] * hooked.services.config.max_login_attempts + ["user.locked"]
    assert json.loads(receiver.received[-1].body)["data"]["user_id"] == user.id
    remove(admin, endpoint)
