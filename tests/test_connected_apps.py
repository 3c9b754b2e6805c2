"""Connected apps on the account page: the applications a user granted, and revoking one after a
confirmation — its refresh tokens (RFC 7009 2.1: and the access tokens of the grant), the
remembered consent, and a back-channel logout with the session's sid (Back-Channel Logout 1.0,
2.5). The form needs its CSRF token (OWASP ASVS 4.2.2)."""

from __future__ import annotations

import requests

from .conftest import Browser, hidden_fields
from .test_code_flow import run_code_flow
from .test_logout import logout_client, receiver  # noqa: F401  (fixtures)


def test_the_account_page_lists_a_granted_app_and_revoking_it_ends_its_access(idp, logout_client, user, receiver):
    browser = Browser(idp)
    rp, meta, token, _nonce, _params = run_code_flow(idp, browser, logout_client, user)
    page = browser.go(idp.endpoint("/account"))
    assert "Connected apps" in page.text and logout_client.name in page.text
    assert "offline_access" in page.text

    asked = browser.go(idp.endpoint("/account/apps/revoke"), "POST",
                       {"csrf_token": hidden_fields(page.text)["csrf_token"], "client_id": logout_client.client_id})
    assert asked.status_code == 200 and f"Remove access for {logout_client.name}?" in asked.text
    assert idp.services.consents.covers(user.id, logout_client.client_id, {"openid"})  # nothing yet

    done = browser.go(idp.endpoint("/account/apps/revoke"), "POST", hidden_fields(asked.text))
    assert "no longer has access" in done.text
    assert logout_client.name not in done.text.split("Connected apps")[1].split("</section>")[0]
    assert not idp.services.consents.covers(user.id, logout_client.client_id, {"openid"})
    refreshed = requests.post(meta["token_endpoint"], data={"grant_type": "refresh_token",
                                                            "refresh_token": token["refresh_token"]},
                              auth=(logout_client.client_id, logout_client.client_metadata["secret"]), timeout=5)
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    introspected = requests.post(meta["introspection_endpoint"], data={"token": token["access_token"]},
                                 auth=(logout_client.client_id, logout_client.client_metadata["secret"]), timeout=5)
    assert introspected.json() == {"active": False}
    logouts = receiver.wait_for_logouts(1)
    assert logouts[0]["status"] == 200 and logouts[0]["claims"]["sid"]
    assert "grant.revoked" in [e.action for e in idp.services.audit_events.list(user_id=user.id)]


def test_revoking_without_the_csrf_token_changes_nothing(idp, client, user):
    browser = Browser(idp)
    run_code_flow(idp, browser, client, user)
    refused = browser.go(idp.endpoint("/account/apps/revoke"), "POST",
                         {"client_id": client.client_id, "confirmed": "yes"})
    assert refused.status_code == 400
    assert idp.services.consents.covers(user.id, client.client_id, {"openid"})
    assert [app.client_id for app in idp.services.connected_apps.for_user(user.id)] == [client.client_id]
