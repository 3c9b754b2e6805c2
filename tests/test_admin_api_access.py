"""A user's ways in through /admin/api/v1/users/{id}/… (issue 15): sessions, second factors, passkeys,
upstream identities, grants per client, password-reset mail; writes under If-Match, audited."""

from __future__ import annotations

import requests

from .admin_api import admin_session
from .conftest import Browser
from .flows import enrol_totp, sign_in
from .passkey_flows import stored_passkey
from .test_code_flow import run_code_flow


def tagged(admin, path):
    response = admin.get(path)
    assert response.status_code == 200, response.text
    return response.json(), response.headers["ETag"]


def test_sessions_are_listed_and_one_is_ended_under_if_match(idp, browser, client, user):
    admin = admin_session(idp)
    run_code_flow(idp, browser, client, user)
    other = Browser(idp)
    sign_in(other, user.email)
    listed = admin.get(f"/users/{user.id}/sessions").json()
    assert len(listed["items"]) == 2 and listed["next_cursor"] is None
    first = admin.get(f"/users/{user.id}/sessions", params={"limit": 1}).json()
    second = admin.get(f"/users/{user.id}/sessions", params={"limit": 1, "cursor": first["next_cursor"]}).json()
    assert [s["id"] for s in first["items"] + second["items"]] == [s["id"] for s in listed["items"]]
    handle = listed["items"][0]["id"]
    path = f"/users/{user.id}/sessions/{handle}"
    assert admin.delete(path).status_code == 428
    _, tag = tagged(admin, path)
    assert admin.delete(path, headers={"If-Match": tag}).status_code == 204
    assert admin.get(path).status_code == 404
    assert len(admin.get(f"/users/{user.id}/sessions").json()["items"]) == 1
    event = idp.services.audit_events.list(user_id=user.id, action="user.session_ended")[0]
    assert event.actor == f"client:{admin.client_id}"


def test_every_session_is_ended_at_once_and_audited_rfc6750_3_1(idp, browser, client, user):
    """DELETE /users/{id}/sessions (the console's "end all sessions"): admin:write only (403
    insufficient_scope for a read-only token, RFC 6750 3.1), 404 for an unknown user, and the
    count ended in the answer."""
    run_code_flow(idp, browser, client, user)
    sign_in(Browser(idp), user.email)
    path = f"/users/{user.id}/sessions"
    reader = admin_session(idp, scope="admin:read")
    refused = reader.delete(path)
    assert refused.status_code == 403 and "insufficient_scope" in refused.headers["WWW-Authenticate"]
    admin = admin_session(idp)
    assert admin.delete("/users/no-such-user/sessions").status_code == 404
    ended = admin.delete(path)
    assert ended.status_code == 200 and ended.json() == {"sessions_ended": 2}
    assert admin.get(path).json()["items"] == []
    event = idp.services.audit_events.list(user_id=user.id, action="session.ended_by_admin")[0]
    assert event.actor == f"client:{admin.client_id}"


def test_second_factors_are_removed_under_if_match(idp):
    admin = admin_session(idp)
    user = idp.create_user()
    browser = Browser(idp)
    sign_in(browser, user.email)
    enrol_totp(browser)
    path = f"/users/{user.id}/second-factors"
    factors, tag = tagged(admin, path)
    assert factors == {"totp": True, "recovery_codes_left": 10}
    assert admin.delete(path, headers={"If-Match": '"stale"'}).status_code == 412
    assert admin.delete(path, headers={"If-Match": tag}).status_code == 204
    assert tagged(admin, path)[0] == {"totp": False, "recovery_codes_left": 0}
    assert not idp.services.mfa.is_enrolled(user.id)


def test_every_passkey_is_removed_at_once_and_audited_rfc6750_3_1(idp):
    """DELETE /users/{id}/passkeys (`idp users remove-passkeys`): admin:write only, 404 for an unknown
    user, 204 however many there were (none too); other users' passkeys stay."""
    user, other = idp.create_user(), idp.create_user()
    for name in ("Phone", "Laptop"):
        stored_passkey(idp, user.id, name)
    stored_passkey(idp, other.id)
    path = f"/users/{user.id}/passkeys"
    refused = admin_session(idp, scope="admin:read").delete(path)
    assert refused.status_code == 403 and "insufficient_scope" in refused.headers["WWW-Authenticate"]
    assert requests.delete(idp.endpoint("/admin/api/v1" + path), timeout=10).status_code == 401
    admin = admin_session(idp)
    assert admin.delete("/users/no-such-user/passkeys").status_code == 404
    assert admin.delete("/users/%00/passkeys").status_code == 404
    assert idp.services.passkeys.for_user(user.id) != []  # nothing removed by a refusal
    assert admin.delete(path).status_code == 204
    assert idp.services.passkeys.for_user(user.id) == []
    assert len(idp.services.passkeys.for_user(other.id)) == 1
    assert admin.delete(path).status_code == 204  # none left: the same answer
    counts = [(e.actor, e.details["count"]) for e in idp.services.audit_events.list(
        user_id=user.id, action="passkey.removed_by_admin")]
    assert counts == [(f"client:{admin.client_id}", 0), (f"client:{admin.client_id}", 2)]  # newest first


def test_grants_per_client_are_listed_and_revoked_rfc7009_2_1(idp, browser, client, user):
    admin = admin_session(idp)
    _, meta, token, _, _ = run_code_flow(idp, browser, client, user)
    grants = admin.get(f"/users/{user.id}/grants").json()["items"]
    assert grants == [{"id": client.client_id, "client_id": client.client_id, "client_name": client.name,
                       "scopes": ["email", "offline_access", "openid", "profile"], "refresh_token_families": 1,
                       "consented_at": grants[0]["consented_at"]}]
    path = f"/users/{user.id}/grants/{client.client_id}"
    _, tag = tagged(admin, path)
    assert admin.delete(path).status_code == 428
    assert admin.delete(path, headers={"If-Match": tag}).status_code == 204
    assert admin.get(path).status_code == 404
    secret = client.client_metadata["secret"]
    refreshed = requests.post(meta["token_endpoint"], auth=(client.client_id, secret), timeout=5,
                              data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]})
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    introspected = requests.post(idp.endpoint("/introspect"), auth=(client.client_id, secret), timeout=5,
                                 data={"token": token["access_token"]}).json()
    assert introspected == {"active": False}
    assert not idp.services.consents.covers(user.id, client.client_id, {"openid"})
    event = idp.services.audit_events.list(user_id=user.id, action="user.grant_revoked")[0]
    assert event.actor == f"client:{admin.client_id}" and event.client_id == client.client_id


def test_linked_identities_are_listed(idp, user):
    admin = admin_session(idp)
    idp.services.federated.link("github", "4242", user.id, user.email)
    items = admin.get(f"/users/{user.id}/identities").json()["items"]
    assert [(i["id"], i["provider"], i["subject"]) for i in items] == [("github:4242", "github", "4242")]


def test_password_reset_mail_is_sent_and_audited(idp, mailbox):
    admin = admin_session(idp)
    user = idp.create_user()
    response = admin.post(f"/users/{user.id}/password-reset")
    assert response.status_code == 202
    mailbox.wait_for(user.email, "reset")
    event = idp.services.audit_events.list(user_id=user.id, action="user.password_reset_sent")[0]
    assert event.actor == f"client:{admin.client_id}"


def test_sub_resources_of_an_unknown_user_are_404(idp):
    admin = admin_session(idp)
    for path in ("sessions", "second-factors", "identities", "grants", "grants/x", "sessions/x"):
        assert admin.get(f"/users/00000000-0000-0000-0000-000000000000/{path}").status_code == 404, path
    assert admin.post("/users/nobody/password-reset").status_code == 404
