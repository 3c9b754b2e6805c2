"""/admin/api/v1/users end to end (issue 15): create, read, list by cursor, change under If-Match,
disable and delete with their effects, every refusal as RFC 9457 problem details, never a 500."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import uuid

import pytest
import requests

from .admin_api import admin_session
from .conftest import PASSWORD
from .test_code_flow import run_code_flow


@pytest.fixture
def admin(idp):
    return admin_session(idp)


def new_email(tag="u") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"


def created(admin, **body):
    body.setdefault("email", new_email())
    response = admin.post("/users", json=body)
    assert response.status_code == 201, response.text
    return response


def test_create_read_update_delete_with_etags_and_audited_actor_rfc9110_13_1_1(idp, admin):
    response = created(admin, name="Grace Hopper", password=PASSWORD + " x")
    user = response.json()
    assert response.headers["Location"].endswith(f"/admin/api/v1/users/{user['id']}")
    assert user["has_password"] and not user["email_verified"] and PASSWORD not in response.text
    read = admin.get(f"/users/{user['id']}")
    assert read.json() == user and read.headers["ETag"] == response.headers["ETag"]

    changed = admin.patch(f"/users/{user['id']}", json={"name": "Grace B. Hopper", "email_verified": True},
                          headers={"If-Match": read.headers["ETag"]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Grace B. Hopper" and changed.json()["email_verified"]
    assert changed.headers["ETag"] != read.headers["ETag"]

    gone = admin.delete(f"/users/{user['id']}", headers={"If-Match": changed.headers["ETag"]})
    assert gone.status_code == 204
    assert admin.get(f"/users/{user['id']}").status_code == 404
    actions = {e.action: e for e in idp.services.audit_events.list(user_id=user["id"])}
    assert {"user.created", "user.updated", "user.deleted"} <= set(actions)
    assert all(e.actor == f"client:{admin.client_id}" for e in actions.values())
    assert actions["user.updated"].details["changed"] == {"name": "Grace B. Hopper", "email_verified": True}
    assert PASSWORD not in str(actions["user.created"].details)


def test_if_match_is_required_428_and_must_be_current_412_rfc6585_3_rfc9110_13_1_1(admin):
    user = created(admin)
    path, tag = f"/users/{user.json()['id']}", user.headers["ETag"]
    for method in ("patch", "delete"):
        response = getattr(admin, method)(path, json={"name": "x"})
        assert response.status_code == 428 and response.json()["code"] == "precondition_required"
    assert admin.patch(path, json={"name": "New"}, headers={"If-Match": tag}).status_code == 200
    for method in ("patch", "delete"):
        for stale in (tag, "*", 'W/' + tag, "garbage"):
            response = getattr(admin, method)(path, json={"name": "Old"}, headers={"If-Match": stale})
            assert response.status_code == 412, (method, stale, response.text)
    assert admin.get(path).json()["name"] == "New"


def test_concurrent_updates_of_one_version_exactly_one_wins(admin):
    user = created(admin)
    path, tag = f"/users/{user.json()['id']}", user.headers["ETag"]
    names = [f"writer {n}" for n in range(6)]
    with concurrent.futures.ThreadPoolExecutor(len(names)) as pool:
        statuses = list(pool.map(lambda name: admin.patch(path, json={"name": name},
                                                          headers={"If-Match": tag}).status_code, names))
    assert sorted(statuses) == [200] + [412] * (len(names) - 1), statuses
    assert admin.get(path).json()["name"] in names


def test_cursor_pages_cover_every_row_once_in_email_order(admin):
    tag = uuid.uuid4().hex[:8]
    emails = sorted(created(admin, email=f"page-{tag}-{n:02}@example.com", name=f"Page {n}").json()["email"]
                    for n in range(7))
    seen, cursor, pages = [], None, 0
    while True:
        params = {"search": f"page-{tag}", "limit": 3, **({"cursor": cursor} if cursor else {})}
        body = admin.get("/users", params=params).json()
        seen += [item["email"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == emails and pages == 3
    by_name = admin.get("/users", params={"search": "PAGE 3", "limit": 500}).json()["items"]
    assert emails[3] in {u["email"] for u in by_name}  # names match case-insensitively
    everyone = admin.get("/users", params={"limit": 2}).json()
    assert len(everyone["items"]) == 2 and everyone["next_cursor"]


def test_search_is_a_prefix_not_a_pattern(admin):
    created(admin, email=f"under_score-{uuid.uuid4().hex[:6]}@example.com")
    assert admin.get("/users", params={"search": "%"}).json()["items"] == []
    assert admin.get("/users", params={"search": "_"}).json()["items"] == []
    assert admin.get("/users", params={"search": "under_"}).json()["items"]


def test_disabled_filter(admin):
    user = created(admin, email=new_email("dis"))
    admin.patch(f"/users/{user.json()['id']}", json={"disabled": True}, headers={"If-Match": user.headers["ETag"]})
    disabled = admin.get("/users", params={"disabled": "true", "limit": 500}).json()["items"]
    assert user.json()["id"] in {u["id"] for u in disabled} and all(u["disabled"] for u in disabled)
    enabled = admin.get("/users", params={"disabled": "false", "limit": 500}).json()["items"]
    assert user.json()["id"] not in {u["id"] for u in enabled}


@pytest.mark.parametrize("query", ["cursor=%%%", "cursor=bm90LWpzb24", "cursor=WzFd", "cursor=eyJhIjoxfQ",
                                   "limit=0", "limit=501", "limit=abc", "limit=%C2%B2", "disabled=maybe"])
def test_bad_list_parameters_are_400_naming_the_parameter_rfc9457(admin, query):
    response = admin.get("/users?" + query)
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert [e["name"] for e in response.json()["errors"]] == [query.split("=")[0]]


@pytest.mark.parametrize("send, fields", [
    (dict(data="email=a@example.com"), None),
    (dict(data="{not json", headers={"Content-Type": "application/json"}), {"body"}),
    (dict(json=["a list"]), {"body"}),
    (dict(json={"email": 42, "name": ["x"], "email_verified": "yes", "role": "admin"}),
     {"email", "name", "email_verified", "role"}),
    (dict(json={"name": "No email"}), {"email"}),
    (dict(json={"email": "not an address"}), {"email"}),
    (dict(json={"email": "ok@example.com", "password": "short"}), {"password"}),
    (dict(json={"email": "ok@example.com", "password": "password1234"}), {"password"}),
    (dict(json={"email": "ok@example.com", "send_email": "spam"}), {"send_email"}),
    (dict(json={"email": "ok@example.com", "name": "x" * 256}), {"name"}),
])
def test_bad_bodies_are_problem_details_naming_every_field_rfc9457_3(idp, admin, send, fields):
    response = admin.post("/users", **send)
    assert response.headers["Content-Type"] == "application/problem+json"
    if fields is None:
        assert response.status_code == 415
    else:
        assert response.status_code == 400, response.text
        assert {e["name"] for e in response.json()["errors"]} == fields
    assert idp.services.users.by_email("ok@example.com") is None  # nothing half-written


def test_duplicate_email_is_409_on_create_and_on_change(admin):
    first, second = created(admin), created(admin)
    again = admin.post("/users", json={"email": first.json()["email"].upper()})
    assert again.status_code == 409 and again.json()["code"] == "duplicate"
    clash = admin.patch(f"/users/{second.json()['id']}", json={"email": first.json()["email"]},
                        headers={"If-Match": second.headers["ETag"]})
    assert clash.status_code == 409
    assert admin.get(f"/users/{second.json()['id']}").headers["ETag"] == second.headers["ETag"]


def test_unknown_user_is_404_and_unknown_route_and_method_are_problems(admin):
    assert admin.get(f"/users/{uuid.uuid4()}").status_code == 404
    assert admin.get("/users/" + "x" * 300).status_code == 404
    assert admin.get("/nothing-here").headers["Content-Type"] == "application/problem+json"
    assert admin.request("PUT", "/users").status_code == 405


def test_email_change_unverifies_and_sends_a_verification_mail(idp, admin, mailbox):
    user = created(admin, email_verified=True)
    address = new_email("moved")
    moved = admin.patch(f"/users/{user.json()['id']}", json={"email": address.upper()},
                        headers={"If-Match": user.headers["ETag"]})
    assert moved.status_code == 200 and moved.json()["email"] == address and not moved.json()["email_verified"]
    if idp.services.config.smtp_host:
        mailbox.wait_for(address, "confirm")


def test_create_without_password_sends_a_set_password_link(idp, admin, mailbox):
    address = new_email("invited")
    user = created(admin, email=address, send_email="set_password").json()
    assert not user["has_password"]
    mailbox.wait_for(address, "password")


def test_disable_ends_sessions_and_revokes_grants_then_enable_like_the_cli(idp, admin, browser, client, user):
    _, meta, token, _, _ = run_code_flow(idp, browser, client, user)
    path = f"/users/{user.id}"
    disabled = admin.patch(path, json={"disabled": True}, headers={"If-Match": admin.get(path).headers["ETag"]})
    assert disabled.status_code == 200 and disabled.json()["disabled"]
    refreshed = requests.post(meta["token_endpoint"], auth=(client.client_id, client.client_metadata["secret"]),
                              data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
                              timeout=5)
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    assert browser.go(idp.endpoint("/account")).final_url.startswith(idp.endpoint("/login"))
    event = idp.services.audit_events.list(user_id=user.id, action="user.disabled")[0]
    assert event.actor == f"client:{admin.client_id}" and event.details["sessions_ended"] == 1
    enabled = admin.patch(path, json={"disabled": False}, headers={"If-Match": disabled.headers["ETag"]})
    assert enabled.status_code == 200 and not idp.services.users.for_tokens(user.id).disabled


def test_delete_cascades_grants_and_sessions(idp, admin, browser, client, user):
    _, meta, token, _, _ = run_code_flow(idp, browser, client, user)
    path = f"/users/{user.id}"
    assert admin.delete(path, headers={"If-Match": admin.get(path).headers["ETag"]}).status_code == 204
    refreshed = requests.post(meta["token_endpoint"], auth=(client.client_id, client.client_metadata["secret"]),
                              data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
                              timeout=5)
    assert refreshed.status_code == 400
    introspected = requests.post(idp.endpoint("/introspect"), data={"token": token["access_token"]}, timeout=5,
                                 auth=(client.client_id, client.client_metadata["secret"])).json()
    assert introspected == {"active": False}
    assert browser.go(idp.endpoint("/account")).final_url.startswith(idp.endpoint("/login"))
    assert not idp.services.consents.covers(user.id, client.client_id, {"openid"})
    event = idp.services.audit_events.list(user_id=user.id, action="user.deleted")[0]
    assert event.details["grants_revoked"] == 1 and event.details["sessions_ended"] == 1


@pytest.mark.parametrize("path, status", [
    ("/users?search=%00", 400), ("/users/%00", 404), ("/users/a%00b/sessions", 404), ("/users/x/grants/%00", 404),
    ("/users/%ff%fe", 404), ("/users?search=%ff", 200),
])
def test_nul_and_odd_bytes_never_reach_the_database_as_errors(admin, path, status):
    assert admin.get(path).status_code == status


def test_nul_in_a_body_is_400_naming_the_field(admin):
    response = admin.post("/users", json={"email": new_email(), "name": "a\u0000b"})
    assert response.status_code == 400 and [e["name"] for e in response.json()["errors"]] == ["name"]
