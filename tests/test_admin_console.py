"""The admin console without a browser: its own OpenID Connect sign-in (OIDC Core 3.1.3.7),
administrators only (403 and an audit event otherwise), step-up to a second factor (OIDC Core
3.1.2.1 acr_values), CSRF on every form (OWASP ASVS 4.2.2), and `idp admins`."""

from __future__ import annotations

import subprocess
import time
from urllib.parse import parse_qs, urljoin, urlsplit

import pyotp

from idp.accounts.mfa import ACR_MFA

from .admin_console_flows import enter_console, make_admin, post_form
from .conftest import Browser, hidden_fields
from .harness import IDP


def audit_actions(idp, user_id: str) -> list[str]:
    return [e.action for e in idp.services.audit_events.list(user_id=user_id)]


def test_an_administrator_with_a_second_factor_enters_the_console_oidc_core_3_1_3_7(idp):
    admin, secret = make_admin(idp)
    browser = Browser(idp)
    page = enter_console(browser, admin, secret)
    assert page.status_code == 200, page.text[:500]
    assert page.final_url.endswith("/admin") and "Overview" in page.text
    assert "active sessions" in page.text
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'nonce-" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "admin.signed_in" in audit_actions(idp, admin.id)
    console = idp.services.clients.get("idp-admin-console")
    assert console.trusted and console.redirect_uris == (idp.url + "/admin/callback",)


def test_the_console_client_registration_is_idempotent(idp):
    from idp.admin.console import backend

    with idp.app.app_context():
        backend.ensure_console_client()
        backend.ensure_console_client()
    assert [c.client_id for c in idp.services.clients.page(10_000)].count("idp-admin-console") == 1


def test_a_non_administrator_gets_403_and_an_audit_event(idp):
    user = idp.create_user()
    browser = Browser(idp)
    page = enter_console(browser, user, None)
    assert page.status_code == 403
    assert "not an administrator" in page.text
    assert "admin.refused" in audit_actions(idp, user.id)
    # Signed in to the IdP is not signed in to the console: every page refuses again.
    assert browser.go(idp.endpoint("/admin/users")).status_code == 403


def test_an_administrator_whose_session_lacks_the_second_factor_is_asked_to_step_up_oidc_core_3_1_2_1(idp):
    """Signed in with the password alone, then TOTP enrolled: the console asks for the factor (step-up)."""
    admin, _ = make_admin(idp, mfa=False)
    browser = Browser(idp)
    signed_in = browser.login(browser.go(idp.endpoint("/login")), admin.email)
    assert signed_in.status_code in (200, 302), signed_in.text[:300]
    secret = pyotp.random_base32()
    assert idp.services.mfa.enrol(admin.id, secret, pyotp.TOTP(secret).at(time.time() - 30)) is not None
    page = browser.http.get(idp.endpoint("/admin"), allow_redirects=False)
    # Follow by hand up to the callback (the session is recent: no form): its answer is the step-up request.
    while not urlsplit(page.headers["Location"]).path.endswith("/admin/callback"):
        page = browser.http.get(urljoin(idp.url, page.headers["Location"]), allow_redirects=False)
    page = browser.http.get(urljoin(idp.url, page.headers["Location"]), allow_redirects=False)
    assert page.status_code == 302
    step_up = parse_qs(urlsplit(page.headers["Location"]).query)
    assert step_up["acr_values"] == [ACR_MFA] and step_up["prompt"] == ["login"]
    assert step_up["code_challenge_method"] == ["S256"] and step_up["nonce"] and step_up["state"]
    assert "admin.step_up" in audit_actions(idp, admin.id)


def test_a_callback_without_the_state_of_this_browser_is_refused_rfc9700_4_7_1(idp):
    admin, secret = make_admin(idp)
    browser = Browser(idp)
    enter_console(browser, admin, secret)
    response = browser.go(idp.endpoint("/admin/callback?code=x&state=forged&iss=" + idp.url))
    assert response.status_code == 400 and "invalid_state" in response.text


def test_console_forms_refuse_a_post_without_csrf_token_owasp_asvs_4_2_2(idp):
    admin, secret = make_admin(idp)
    target = idp.create_user()
    browser = Browser(idp)
    enter_console(browser, admin, secret)
    refused = browser.go(idp.endpoint(f"/admin/users/{target.id}/disable"), "POST", {"confirmed": "yes"})
    assert refused.status_code == 400
    assert not idp.services.users.by_id(target.id).disabled


def test_disabling_a_user_asks_first_then_acts_and_audits(idp):
    admin, secret = make_admin(idp)
    target = idp.create_user()
    browser = Browser(idp)
    enter_console(browser, admin, secret)
    user_page = browser.go(idp.endpoint(f"/admin/users/{target.id}"))
    assert target.email in user_page.text
    asked = post_form(browser, f"/admin/users/{target.id}/disable", user_page)
    assert asked.status_code == 200 and "Disable this account?" in asked.text
    assert not idp.services.users.by_id(target.id).disabled
    done = browser.go(idp.endpoint(f"/admin/users/{target.id}/disable"), "POST", hidden_fields(asked.text))
    assert done.status_code == 200 and "is disabled" in done.text
    assert idp.services.users.by_id(target.id).disabled
    assert "user.disabled" in audit_actions(idp, target.id)


def test_user_search_finds_by_email(idp):
    admin, secret = make_admin(idp)
    target = idp.create_user()
    browser = Browser(idp)
    enter_console(browser, admin, secret)
    found = browser.go(idp.endpoint("/admin/users?q=" + target.email.split("@")[0]))
    assert f'/admin/users/{target.id}"' in found.text and f'/admin/users/{admin.id}"' not in found.text


def test_a_revoked_administrator_is_refused_on_the_next_request(idp):
    admin, secret = make_admin(idp)
    browser = Browser(idp)
    enter_console(browser, admin, secret)
    idp.services.administrators.revoke(admin.id)
    assert browser.go(idp.endpoint("/admin")).status_code == 403


def test_idp_admins_grant_list_revoke_are_audited(idp):
    make_admin(idp)  # the last administrator is never revoked (tests/test_admin_api_admins.py)
    user = idp.create_user()
    env = idp.cli_env()

    def run(*args):
        return subprocess.run(IDP + ["admins", *args], env=env, capture_output=True, text=True, timeout=60)

    granted = run("grant", "--email", user.email)
    assert granted.returncode == 0, granted.stderr
    assert "now an administrator" in granted.stdout and "no second factor" in granted.stdout
    assert user.email in run("list").stdout
    assert run("revoke", "--email", user.email).returncode == 0
    assert run("revoke", "--email", user.email).returncode != 0
    assert user.email not in run("list").stdout
    assert {"admin.granted", "admin.revoked"} <= set(audit_actions(idp, user.id))


def test_console_messages_kept_in_constants_have_their_french_translation():
    """The catalogue test finds literals passed to _(); these are passed by name."""
    from idp.admin.console import clients, keys, users
    from idp.i18n import CATALOGUES
    from idp.web import account_apps

    constants = [users.DISABLE_QUESTION, users.END_SESSIONS_QUESTION, users.REVOKE_GRANT_QUESTION,
                 users.DELETE_USER_QUESTION, *users.MESSAGES.values(), clients.NOT_SAVED_FIELDS,
                 clients.ROTATE_SECRET_QUESTION, clients.DELETE_CLIENT_QUESTION, keys.ROTATE_QUESTION,
                 keys.ROTATE_TOO_EARLY_QUESTION, account_apps.REVOKE_QUESTION, "next", "current", "retired", "revoked"]
    assert [text for text in constants if text not in CATALOGUES["fr"]] == []


def test_the_overview_counts_sign_ins_and_failures_of_the_last_hours(idp):
    from idp.store.admin_queries import AdminQueries

    admin, secret = make_admin(idp)
    user = idp.create_user()
    before = AdminQueries(idp.services.db).hourly_counts(("login.succeeded", "login.failed"))
    failing = Browser(idp)
    failing.login(failing.go(idp.endpoint("/login")), user.email, "not the password")
    after = AdminQueries(idp.services.db).hourly_counts(("login.succeeded", "login.failed"))
    assert len(after["login.failed"]) == 24 and after["login.failed"][-1] == before["login.failed"][-1] + 1
    browser = Browser(idp)
    page = enter_console(browser, admin, secret)
    assert "failed sign-ins, last 24 hours" in page.text and 'class="bar failed h' in page.text


def test_deleting_a_user_removes_their_grants_and_sessions(idp, client):
    from .test_code_flow import run_code_flow

    admin, secret = make_admin(idp)
    target = idp.create_user()
    run_code_flow(idp, Browser(idp), client, target)
    assert idp.services.connected_apps.for_user(target.id)
    browser = Browser(idp)
    enter_console(browser, admin, secret)
    user_page = browser.go(idp.endpoint(f"/admin/users/{target.id}"))
    assert client.name in user_page.text  # the grant is listed
    asked = post_form(browser, f"/admin/users/{target.id}/delete", user_page)
    assert f"Delete {target.email}?" in asked.text
    done = browser.go(idp.endpoint(f"/admin/users/{target.id}/delete"), "POST", hidden_fields(asked.text))
    assert done.status_code == 200 and done.final_url.endswith("/admin/users")
    assert idp.services.users.by_id(target.id) is None
    assert idp.services.connected_apps.for_user(target.id) == []
    assert idp.services.sessions.list(target.id) == []
    assert "user.deleted" in audit_actions(idp, target.id)
    assert browser.go(idp.endpoint(f"/admin/users/{target.id}")).status_code == 404


def test_user_pages_follow_the_keyset_cursor(idp):
    import html
    import re
    import uuid

    admin, secret = make_admin(idp)
    prefix = "page-" + uuid.uuid4().hex[:6]
    emails = sorted(idp.create_user(email=f"{prefix}-{n:02d}@example.com").email for n in range(23))
    browser = Browser(idp)
    enter_console(browser, admin, secret)
    first = browser.go(idp.endpoint("/admin/users?q=" + prefix))
    shown = re.findall(rf">({prefix}-\d+@example.com)</a>", first.text)
    assert shown == emails[:20]
    next_link = html.unescape(re.search(r'href="([^"]+)" rel="next"', first.text).group(1))
    second = browser.go(idp.endpoint(next_link))
    assert re.findall(rf">({prefix}-\d+@example.com)</a>", second.text) == emails[20:]
    assert 'rel="next"' not in second.text
    garbled = browser.go(idp.endpoint(f"/admin/users?q={prefix}&after=not-a-cursor"))
    assert garbled.status_code == 200 and emails[0] in garbled.text


def test_a_client_with_a_bad_redirect_uri_is_refused_naming_the_field_rfc7591_3_2_2(idp):
    admin, secret = make_admin(idp)
    browser = Browser(idp)
    enter_console(browser, admin, secret)
    form = browser.go(idp.endpoint("/admin/clients/new"))
    before = len(idp.services.clients.page(10_000))
    refused = post_form(browser, "/admin/clients/new", form, name="Plain HTTP", scope="openid",
                        redirect_uris="http://rp.example.com/callback")
    assert refused.status_code == 400
    assert "The client was not saved" in refused.text and "redirect_uris" in refused.text
    assert len(idp.services.clients.page(10_000)) == before


def test_secret_rotation_keeps_the_old_secret_for_the_chosen_grace_period_rfc6749_2_3_1(idp, client):
    """The console's rotation takes a grace period from a fixed list (the old secret keeps
    authenticating the client at /token meanwhile, RFC 6749 2.3.1); any other value is a 400
    page, and the confirmation page carries the choice through."""
    import re

    import requests

    admin, secret = make_admin(idp)
    browser = Browser(idp)
    enter_console(browser, admin, secret)
    old = client.client_metadata["secret"]
    form = browser.go(idp.endpoint(f"/admin/clients/{client.client_id}"))
    assert 'name="grace_seconds"' in form.text and 'value="86400"' in form.text
    path = f"/admin/clients/{client.client_id}/secret"
    assert post_form(browser, path, form, grace_seconds="12345").status_code == 400
    asked = post_form(browser, path, form, grace_seconds="86400")
    assert "keeps working for 1 day" in asked.text and hidden_fields(asked.text)["grace_seconds"] == "86400"
    shown = browser.go(idp.endpoint(path), "POST", hidden_fields(asked.text))
    assert shown.status_code == 200 and "the old one keeps working for 1 day" in shown.text
    new = re.search(r'<code id="client-secret">([^<]+)</code>', shown.text)
    assert new is not None, shown.text[:500]

    def token(secret_value):  # client authentication at /revoke: 200 once authenticated (RFC 7009 2.2)
        return requests.post(idp.endpoint("/revoke"), data={"token": "unknown"},
                             auth=(client.client_id, secret_value), timeout=10)

    assert token(new.group(1)).status_code == 200, token(new.group(1)).text
    assert token(old).status_code == 200  # still in its grace period
    assert token("not-the-secret").status_code == 401
    event = idp.services.audit_events.list(action="client.secret_rotated")[0]
    assert event.details["grace_seconds"] == 86400 and event.actor.startswith("user:")
