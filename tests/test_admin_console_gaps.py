"""The console's last gaps against the CLI (issue 15): removing a user's passkeys, creating a user,
and each signing key's public JWK. Each calls the service the admin API calls, refuses a POST
without its CSRF token and bad input with a 400 page, asks before a destructive action, and audits
with the administrator as the actor (`user:<id>`)."""

from __future__ import annotations

import pytest

from .admin_console_flows import enter_console, make_admin, post_form
from .conftest import Browser, hidden_fields
from .passkey_flows import stored_passkey


@pytest.fixture
def console(idp):
    """(browser in the console, its administrator)."""
    admin, secret = make_admin(idp)
    browser = Browser(idp)
    assert enter_console(browser, admin, secret).status_code == 200
    return browser, admin


def events(idp, action: str, admin, user_id: str | None = None) -> list:
    return [e for e in idp.services.audit_events.list(action=action, user_id=user_id)
            if e.actor == f"user:{admin.id}"]


# -- a user's passkeys ---------------------------------------------------------
def test_removing_a_users_passkeys_asks_first_then_acts_and_audits(idp, console):
    browser, admin = console
    target, other = idp.create_user(), idp.create_user()
    stored_passkey(idp, target.id, "Work phone")
    stored_passkey(idp, target.id, "Laptop")
    stored_passkey(idp, other.id)
    page = browser.go(idp.endpoint(f"/admin/users/{target.id}"))
    assert page.status_code == 200 and "Work phone" in page.text and "Remove every passkey" in page.text
    path = f"/admin/users/{target.id}/passkeys/remove"
    assert browser.go(idp.endpoint(path), "POST", {"confirmed": "yes"}).status_code == 400  # no CSRF token
    asked = post_form(browser, path, page)
    assert asked.status_code == 200 and "Remove every passkey?" in asked.text and target.email in asked.text
    assert len(idp.services.passkeys.for_user(target.id)) == 2  # asking removed nothing
    done = browser.go(idp.endpoint(path), "POST", hidden_fields(asked.text))
    assert done.status_code == 200 and "Every passkey of this user was removed." in done.text
    assert done.final_url.split("?")[0].endswith(f"/admin/users/{target.id}") and "No passkey." in done.text
    assert idp.services.passkeys.for_user(target.id) == []
    assert len(idp.services.passkeys.for_user(other.id)) == 1
    [event] = events(idp, "passkey.removed_by_admin", admin, target.id)
    assert event.details["count"] == 2


def test_a_user_without_passkeys_has_no_button_and_an_unknown_user_is_404(idp, console):
    browser, _ = console
    target = idp.create_user()
    page = browser.go(idp.endpoint(f"/admin/users/{target.id}"))
    assert "No passkey." in page.text and "passkeys/remove" not in page.text
    assert post_form(browser, "/admin/users/no-such-user/passkeys/remove", page).status_code == 404
    assert post_form(browser, "/admin/users/" + "x" * 40 + "/passkeys/remove", page).status_code == 404


def test_a_non_administrator_cannot_remove_passkeys(idp):
    user, target = idp.create_user(), idp.create_user()
    stored_passkey(idp, target.id)
    browser = Browser(idp)
    assert enter_console(browser, user, None).status_code == 403
    assert browser.go(idp.endpoint(f"/admin/users/{target.id}/passkeys/remove"), "POST",
                      {"confirmed": "yes"}).status_code in (400, 403)
    assert len(idp.services.passkeys.for_user(target.id)) == 1


def test_the_passkeys_panel_speaks_french(idp, console):
    browser, _ = console
    target = idp.create_user()
    stored_passkey(idp, target.id)
    page = browser.go(idp.endpoint(f"/admin/users/{target.id}?lang=fr"))
    assert "Clés d’accès" in page.text and "Supprimer toutes les clés d’accès" in page.text


def test_console_messages_kept_in_constants_have_their_french_translation():
    from idp.admin.console import users
    from idp.i18n import CATALOGUES

    constants = [users.REMOVE_PASSKEYS_QUESTION, *users.MESSAGES.values()]
    assert [text for text in constants if text not in CATALOGUES["fr"]] == []
