"""The admin console in a real browser (Debian's Chromium via Playwright): an administrator signs
in with a password and a TOTP code through the console's own OpenID Connect sign-in, creates a
client (the secret shown once, copied with the button), finds a user and ends their sessions,
rotates a signing key — each destructive step through its confirmation page; a non-administrator
is refused with 403. Screenshots go to test-artefacts/screenshots/admin-*.png."""

from __future__ import annotations

import pyotp
import pytest

from .admin_console_flows import make_admin
from .conftest import PASSWORD, Browser


@pytest.fixture
def page(chromium):
    context = chromium.new_context(locale="en-US", viewport={"width": 1200, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def sign_in(page, idp, user, secret=None):
    page.goto(idp.endpoint("/admin"))
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if secret:
        page.get_by_label("Verification code").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Verify").click()


def test_an_administrator_signs_in_with_totp_and_runs_the_console(idp, page, screenshot):
    admin, secret = make_admin(idp)
    sign_in(page, idp, admin, secret)
    page.get_by_role("heading", name="Overview").wait_for()
    assert page.url.endswith("/admin")
    assert page.get_by_text("active sessions").is_visible()
    screenshot(page, "admin-01-overview")

    # A client: create it, the secret is shown once and the button copies it.
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Clients").click()
    page.get_by_role("link", name="New client").click()
    page.get_by_label("Name", exact=True).fill("Billing portal")
    page.get_by_label("Redirect URIs", exact=True).fill("https://billing.example.com/callback")
    page.get_by_role("button", name="Create the client").click()
    page.get_by_role("heading", name="Billing portal").wait_for()
    shown = page.locator("#client-secret").inner_text()
    client_id = page.locator("#client-id").inner_text()
    created = idp.services.clients.get(client_id)
    assert created.redirect_uris == ("https://billing.example.com/callback",) and created.check_client_secret(shown)
    page.get_by_role("button", name="Copy").click()
    page.get_by_role("status").filter(has_text="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == shown
    screenshot(page, "admin-02-client-secret")

    # A user: find them, end their sessions (asked first).
    target = idp.create_user(name="Grace Hopper")
    elsewhere = Browser(idp)
    elsewhere.login(elsewhere.go(idp.endpoint("/login")), target.email)
    assert idp.services.sessions.list(target.id)
    page.get_by_role("link", name="Users").click()
    page.get_by_label("Search by any part of an email or name").fill(target.email)
    page.keyboard.press("Enter")
    page.get_by_role("link", name=target.email).click()
    page.get_by_role("heading", name=target.email).wait_for()
    screenshot(page, "admin-03-user")
    page.get_by_role("button", name="End every session").click()
    page.get_by_role("heading", name="End every session?").wait_for()
    screenshot(page, "admin-04-confirm")
    page.get_by_role("button", name="End sessions").click()
    page.get_by_text("Every session of this user was ended.").wait_for()
    assert idp.services.sessions.list(target.id) == []

    # A signing key: rotate it (the next key is new, so the console asks a second time).
    before = {k.kid: k.state for k in idp.services.keys.list_keys() if k.alg == "RS256"}
    page.get_by_role("link", name="Signing keys").click()
    page.get_by_role("button", name="Rotate the RS256 signing key").click()
    page.get_by_role("button", name="Rotate", exact=True).click()
    page.get_by_role("button", name="Rotate anyway").click()
    page.get_by_text("The RS256 signing key was rotated.").wait_for()
    screenshot(page, "admin-05-keys")
    after = {k.kid: k.state for k in idp.services.keys.list_keys() if k.alg == "RS256"}
    old_next = next(kid for kid, state in before.items() if state == "next")
    assert after[old_next] == "current"

    actions = {e.action for e in idp.services.audit_events.list(limit=500)}
    assert {"admin.signed_in", "client.created", "session.ended_by_admin", "key.rotated"} <= actions
    page.get_by_role("link", name="Audit").click()
    page.get_by_label("Action").select_option("key.rotated")
    page.get_by_role("button", name="Filter").click()
    assert page.locator("table.data tbody tr").count() >= 1
    assert page.locator("table.data tbody").get_by_text("key.rotated").first.is_visible()
    screenshot(page, "admin-06-audit")


def test_a_non_administrator_is_refused_with_403(idp, page, screenshot):
    user = idp.create_user()
    responses = []
    page.on("response", lambda response: responses.append((response.url, response.status)))
    sign_in(page, idp, user)
    page.get_by_role("heading", name="Access denied").wait_for()
    assert any(url.startswith(idp.endpoint("/admin/callback")) and status == 403 for url, status in responses)
    screenshot(page, "admin-07-refused")


def test_the_console_is_usable_with_the_keyboard_and_in_french(idp, page):
    admin, secret = make_admin(idp)
    sign_in(page, idp, admin, secret)
    page.get_by_role("heading", name="Overview").wait_for()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.goto(idp.endpoint("/admin/users?lang=fr"))
    page.get_by_role("heading", name="Utilisateurs").wait_for()
    assert page.get_by_label("Rechercher par une partie de l’adresse e-mail ou du nom").is_visible()
