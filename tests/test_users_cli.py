"""`idp users disable|enable`, run as an operator would (a subprocess) against a live IdP on
PostgreSQL and Redis: the server sees the change at once, as every replica would."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from .test_code_flow import run_code_flow


def users_cli(idp, *args):
    return subprocess.run([sys.executable, "-m", "idp.cli", "users", *args], env=idp.cli_env(), capture_output=True,
                          text=True, timeout=60)


def test_disable_ends_sessions_revokes_tokens_and_refuses_sign_in_enable_lets_them_back(idp, browser, client, user):
    if idp.backend != "postgres":
        pytest.skip("the embedded default keeps sessions in the server's own memory, out of the command's reach")
    rp, meta, token, _, _ = run_code_flow(idp, browser, client, user)
    auth = (client.client_id, client.client_metadata["secret"])

    disabled = users_cli(idp, "disable", "--email", user.email)
    assert disabled.returncode == 0, disabled.stderr
    assert "1 session(s) ended, 1 grant(s) revoked" in disabled.stdout

    introspected = requests.post(idp.endpoint("/introspect"), auth=auth, timeout=5,
                                 data={"token": token["access_token"]}).json()
    assert introspected == {"active": False}  # RFC 7662 2.2: revoked
    assert rp.get(meta["userinfo_endpoint"]).status_code == 401
    refreshed = requests.post(meta["token_endpoint"], auth=auth, timeout=5,
                              data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]})
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    page = browser.go(idp.endpoint("/account"))
    assert page.final_url.startswith(idp.endpoint("/login"))  # the browser session is gone
    assert browser.login(page, user.email).status_code == 403  # told it is disabled (the password is right)
    assert [e.action for e in idp.services.audit_events.list(user_id=user.id, action="user.disabled")]

    enabled = users_cli(idp, "enable", "--email", user.email)
    assert enabled.returncode == 0, enabled.stderr
    browser.login(browser.go(idp.endpoint("/login")), user.email)
    assert browser.go(idp.endpoint("/account")).final_url == idp.endpoint("/account")
    assert not idp.services.users.for_tokens(user.id).disabled


def test_disable_names_an_unknown_email(idp):
    if idp.backend != "postgres":
        pytest.skip("one backend is enough for the command's argument check")
    result = users_cli(idp, "disable", "--email", "nobody@example.com")
    assert result.returncode != 0 and "no user with email nobody@example.com" in result.stderr


def test_delete_removes_the_user_and_is_audited_as_the_operator(idp):
    user = idp.create_user()
    result = users_cli(idp, "delete", "--email", user.email, "--yes")
    assert result.returncode == 0, result.stderr
    assert idp.services.users.by_id(user.id) is None
    assert idp.services.audit_events.list(user_id=user.id, action="user.deleted")[0].actor == "cli"
