"""The console's last gaps against the CLI (issue 15): removing a user's passkeys, creating a user,
and each signing key's public JWK. Each calls the service the admin API calls, refuses a POST
without its CSRF token and bad input with a 400 page, asks before a destructive action, and audits
with the administrator as the actor (`user:<id>`)."""

from __future__ import annotations

import html
import json
import re
import uuid

import pytest

from .admin_api import admin_session
from .admin_console_flows import console, enter_console, make_admin, post_form  # noqa: F401
from .conftest import PASSWORD, Browser, hidden_fields
from .flows import sign_in
from .passkey_flows import stored_passkey
from .test_admin_api_keys_import import rsa_jwk


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
    assert post_form(browser, "/admin/users/a%00b/passkeys/remove", page).status_code == 404  # not a 500
    assert browser.go(idp.endpoint("/admin/users/a%00b")).status_code == 404


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


# -- creating a user -------------------------------------------------------------
def new_email(tag: str = "new") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"


def create(browser, page, **fields):
    fields.setdefault("send_email", "")
    return post_form(browser, "/admin/users/new", page, **fields)


def test_the_users_list_links_to_the_new_user_form(idp, console):
    browser, _ = console
    listed = browser.go(idp.endpoint("/admin/users"))
    assert 'href="/admin/users/new"' in listed.text
    page = browser.go(idp.endpoint("/admin/users/new"))
    assert page.status_code == 200 and 'name="email"' in page.text and 'name="password"' in page.text
    assert 'aria-current="page"' in page.text.split('href="/admin/users"')[1][:30]
    assert "script-src 'nonce-" in page.headers["Content-Security-Policy"]


def test_creating_a_user_with_a_password_lets_them_sign_in_and_is_audited(idp, console):
    browser, admin = console
    page = browser.go(idp.endpoint("/admin/users/new"))
    address = new_email()
    done = create(browser, page, email=address.upper(), name="Grace Hopper", password=PASSWORD + " new",
                  email_verified="y")
    assert done.status_code == 200 and "The account was created." in done.text and address in done.text
    made = idp.services.users.by_email(address)
    assert made is not None and done.final_url.split("?")[0].endswith(f"/admin/users/{made.id}")
    record = idp.services.users.record(made.id)
    assert record.name == "Grace Hopper" and record.email_verified and record.has_password
    [event] = events(idp, "user.created", admin, made.id)
    assert event.details["password_set"] and event.details["email_sent"] is None
    assert PASSWORD not in str(event.details)
    assert "signed in as" in sign_in(Browser(idp), address, PASSWORD + " new").text


def test_creating_a_user_without_a_password_mails_a_set_password_link(idp, console, mailbox):
    browser, admin = console
    page = browser.go(idp.endpoint("/admin/users/new"))
    address = new_email("mailed")
    done = create(browser, page, email=address, send_email="set_password")
    assert done.status_code == 200 and "The account was created." in done.text
    made = idp.services.users.record(idp.services.users.by_email(address).id)
    assert not made.has_password and not made.email_verified
    mailbox.wait_for(address, "password")
    [event] = events(idp, "user.created", admin, made.id)
    assert event.details["email_sent"] == "set_password" and not event.details["password_set"]


@pytest.mark.parametrize("fields, field, says", [
    ({"email": "not-an-email"}, "email", "Enter an email address"),
    ({"email": ""}, "email", "Enter an email address"),
    ({"email": "x" * 1100 + "@example.com"}, "email", "Enter an email address"),
    ({"password": "short"}, "password", "Use at least 12 characters."),
    ({"password": "password1234"}, "password", "This password is too common."),
    ({"password": "p" * 2000}, "password", "Use at most 128 characters."),
    ({"name": "Ada\x07"}, "name", "without control characters"),
    ({"send_email": "everything"}, "send_email", "Choose one of the emails offered."),
])
def test_bad_input_is_a_400_page_naming_the_field_and_creates_nothing(idp, console, fields, field, says):
    browser, admin = console
    page = browser.go(idp.endpoint("/admin/users/new"))
    address = new_email("bad")
    fields = {"email": address, **fields}
    refused = create(browser, page, **fields)
    assert refused.status_code == 400, refused.text[:500]
    assert "The account was not created" in refused.text and says in refused.text
    assert f'id="{field}-error"' in refused.text and 'aria-invalid="true"' in refused.text
    assert idp.services.users.by_email(address) is None
    if "password" in fields:
        assert fields["password"] not in refused.text  # a password is never rendered back
    assert [e for e in events(idp, "user.created", admin) if e.details.get("email") == address] == []


def test_a_taken_email_is_a_400_page_naming_it(idp, console):
    browser, admin = console
    existing = idp.create_user()
    page = browser.go(idp.endpoint("/admin/users/new"))
    refused = create(browser, page, email=existing.email.upper())
    assert refused.status_code == 400 and "An account with this email address exists already." in refused.text
    assert 'id="email-error"' in refused.text
    assert events(idp, "user.created", admin, existing.id) == []


def test_creating_needs_the_csrf_token_and_an_administrator(idp, console):
    browser, _ = console
    address = new_email("forged")
    forged = browser.go(idp.endpoint("/admin/users/new"), "POST", {"email": address, "send_email": ""})
    assert forged.status_code == 400 and idp.services.users.by_email(address) is None
    user = idp.create_user()
    outsider = Browser(idp)
    assert enter_console(outsider, user, None).status_code == 403
    assert outsider.go(idp.endpoint("/admin/users/new")).status_code == 403
    assert outsider.go(idp.endpoint("/admin/users/new"), "POST", {"email": address}).status_code in (400, 403)
    assert idp.services.users.by_email(address) is None


def test_the_new_user_page_speaks_french(idp, console):
    browser, _ = console
    page = browser.go(idp.endpoint("/admin/users/new?lang=fr"))
    assert "Nouvel utilisateur" in page.text and "Créer l’utilisateur" in page.text
    refused = create(browser, page, email="nope")
    assert refused.status_code == 400 and "Le compte n’a pas été créé" in refused.text


# -- a signing key's public JWK ------------------------------------------------------
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def test_each_key_links_to_its_public_jwk_the_same_as_the_admin_api(idp, console):
    browser, _ = console
    page = browser.go(idp.endpoint("/admin/keys"))
    kids = [key.kid for key in idp.services.keys.list_keys()]
    assert kids and all(f'href="/admin/keys/{kid}/jwk"' in page.text for kid in kids)
    api = admin_session(idp, scope="admin:read")
    for kid in kids:
        shown = browser.go(idp.endpoint(f"/admin/keys/{kid}/jwk"))
        assert shown.status_code == 200 and kid in shown.text
        assert "script-src 'nonce-" in shown.headers["Content-Security-Policy"]
        expected = api.get(f"/keys/{kid}/jwk").json()
        embedded = html.unescape(re.search(r'<code id="jwk">(.*?)</code>', shown.text, re.S).group(1))
        assert json.loads(embedded) == expected
        download = browser.go(idp.endpoint(f"/admin/keys/{kid}/jwk.json"))
        assert download.status_code == 200 and download.headers["Content-Type"].startswith("application/jwk+json")
        assert download.headers["Content-Disposition"] == f'attachment; filename="{kid}.jwk.json"'
        assert download.json() == expected and not PRIVATE_MEMBERS & set(expected)
        assert f'href="/admin/keys/{kid}/jwk.json"' in shown.text


def test_a_revoked_keys_public_jwk_is_still_shown_and_an_unknown_kid_is_404(idp, console):
    browser, _ = console
    api = admin_session(idp)
    jwk = rsa_jwk()  # a next key of its own to revoke: the keys that signed tokens keep signing
    kid = api.post("/keys/import", json={"jwk": jwk}).json()["kid"]
    assert api.post(f"/keys/{kid}/revoke").status_code == 200
    assert any(key.kid == kid and key.state == "revoked" for key in idp.services.keys.list_keys())
    shown = browser.go(idp.endpoint(f"/admin/keys/{kid}/jwk.json"))
    assert shown.status_code == 200 and shown.json()["n"] == jwk["n"] and "d" not in shown.json()
    for path in ("/admin/keys/no-such-kid/jwk", "/admin/keys/no-such-kid/jwk.json", "/admin/keys/" + "x" * 70 + "/jwk",
                 "/admin/keys/a%00b/jwk"):
        assert browser.go(idp.endpoint(path)).status_code == 404


def test_a_non_administrator_gets_no_jwk_page(idp):
    user = idp.create_user()
    browser = Browser(idp)
    assert enter_console(browser, user, None).status_code == 403
    kid = idp.services.keys.list_keys()[0].kid
    for path in (f"/admin/keys/{kid}/jwk", f"/admin/keys/{kid}/jwk.json"):
        assert browser.go(idp.endpoint(path)).status_code == 403


def test_the_jwk_page_speaks_french(idp, console):
    browser, _ = console
    kid = idp.services.keys.list_keys()[0].kid
    assert "JWK publique" in browser.go(idp.endpoint("/admin/keys?lang=fr")).text
    page = browser.go(idp.endpoint(f"/admin/keys/{kid}/jwk?lang=fr"))
    assert "Clé publique" in page.text and "Télécharger la JWK" in page.text


def test_console_messages_kept_in_constants_have_their_french_translation():
    from idp.admin.console import users
    from idp.i18n import CATALOGUES

    constants = [users.REMOVE_PASSKEYS_QUESTION, *users.MESSAGES.values(), *users.FIELD_ERRORS.values(),
                 users.TOO_LONG, users.DUPLICATE_EMAIL, *users.SEND_EMAIL.values()]
    assert [text for text in constants if text not in CATALOGUES["fr"]] == []
