"""The console's operations pages (issue 15): the mail outbox, administrators, registration tokens,
and retiring, revoking and importing signing keys. Each calls the service the admin API calls,
refuses a POST without its CSRF token and bad input with a 400 page, asks before a destructive
action, and audits with the administrator as the actor (`user:<id>`)."""

from __future__ import annotations

import hashlib
import html
import json
import re

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from .admin_console_flows import console, enter_console, make_admin, post_form  # noqa: F401
from .conftest import Browser, hidden_fields, start_idp
from .test_admin_api_keys_import import pem_of, rsa_jwk
from .test_admin_api_registration_tokens import register


def events(idp, action: str, admin) -> list:
    return [e for e in idp.services.audit_events.list(action=action) if e.actor == f"user:{admin.id}"]


# -- the mail outbox -----------------------------------------------------------
def test_the_mail_page_shows_counts_and_failures_without_bodies_or_addresses(idp, console):
    browser, _ = console
    outbox = idp.services.mailer.outbox
    failed = outbox.add("ada.private@fail.example", "Given up", "https://idp.example/verify?token=g1v3n-up", 3600)
    outbox.mark_failed(failed, "SMTPRecipientsRefused: {'ada.private@fail.example': (550, b'no such user')}")
    page = browser.go(idp.endpoint("/admin/mail"))
    assert page.status_code == 200 and "Mail outbox" in page.text
    assert 'id="count-failed"' in page.text and failed in page.text and "fail.example" in page.text
    assert "ada.private" not in page.text and "g1v3n-up" not in page.text
    assert 'aria-current="page"' in page.text.split('href="/admin/mail"')[1][:30]


def test_retrying_pending_mail_needs_csrf_and_is_audited(idp, console):
    browser, admin = console
    outbox = idp.services.mailer.outbox
    waiting = outbox.add("late@example.com", "Waiting", "https://idp.example/reset?token=x", 3600)
    outbox.claim(waiting, lease=0)
    outbox.retry_later(waiting, "SMTPServerDisconnected: gone", 3600)
    assert browser.go(idp.endpoint("/admin/mail/retry"), "POST", {}).status_code == 400
    assert events(idp, "mail.retried", admin) == []
    page = browser.go(idp.endpoint("/admin/mail"))
    done = post_form(browser, "/admin/mail/retry", page)
    assert done.status_code == 200 and done.final_url.split("?")[0].endswith("/admin/mail")
    assert "pending messages will be sent now" in done.text
    [event] = events(idp, "mail.retried", admin)
    assert event.details["messages"] >= 1


def test_the_mail_page_ignores_a_forged_count_parameter(idp, console):
    browser, _ = console
    page = browser.go(idp.endpoint("/admin/mail?retried=%C2%B2"))
    assert page.status_code == 200 and "will be sent now" not in page.text


# -- administrators ------------------------------------------------------------
def test_granting_by_email_is_idempotent_and_audited(idp, console):
    browser, admin = console
    target = idp.create_user()
    page = browser.go(idp.endpoint("/admin/administrators"))
    assert page.status_code == 200 and admin.email in page.text and 'name="email"' in page.text
    done = post_form(browser, "/admin/administrators/grant", page, email=target.email)
    assert done.status_code == 200 and f"{target.email} is now an administrator." in done.text
    assert idp.services.administrators.is_administrator(target.id)
    again = post_form(browser, "/admin/administrators/grant", page, email=target.email)
    assert f"{target.email} already was an administrator." in again.text
    granted = [e for e in events(idp, "admin.granted", admin) if e.user_id == target.id]
    assert len(granted) == 1
    assert idp.services.administrators.get(target.id).granted_by == f"user:{admin.id}"


def test_granting_refuses_bad_input_and_a_missing_csrf_token(idp, console):
    browser, _ = console
    target = idp.create_user()
    page = browser.go(idp.endpoint("/admin/administrators"))
    unknown = post_form(browser, "/admin/administrators/grant", page, email="nobody-here@example.com")
    assert unknown.status_code == 400 and "There is no user with this email" in unknown.text
    assert post_form(browser, "/admin/administrators/grant", page, email="").status_code == 400
    assert post_form(browser, "/admin/administrators/grant", page, email="x" * 400 + "@example.com"
                     ).status_code == 400
    forged = browser.go(idp.endpoint("/admin/administrators/grant"), "POST", {"email": target.email})
    assert forged.status_code == 400
    assert not idp.services.administrators.is_administrator(target.id)


def test_revoking_asks_first_then_acts_and_audits(idp, console):
    browser, admin = console
    target, _ = make_admin(idp)
    page = browser.go(idp.endpoint("/admin/administrators"))
    path = f"/admin/administrators/{target.id}/revoke"
    assert browser.go(idp.endpoint(path), "POST", {"confirmed": "yes"}).status_code == 400  # no CSRF token
    asked = post_form(browser, path, page)
    assert asked.status_code == 200 and f"Revoke the console from {target.email}?" in asked.text
    assert idp.services.administrators.is_administrator(target.id)
    done = browser.go(idp.endpoint(path), "POST", hidden_fields(asked.text))
    assert done.status_code == 200 and f"{target.email} is no longer an administrator." in done.text
    assert not idp.services.administrators.is_administrator(target.id)
    assert [e.user_id for e in events(idp, "admin.revoked", admin)] == [target.id]
    assert post_form(browser, path, page).status_code == 404  # not one any more
    assert post_form(browser, "/admin/administrators/" + "x" * 40 + "/revoke", page).status_code == 404


@pytest.fixture(scope="module")
def alone(tmp_path_factory):
    """An IdP of its own (PostgreSQL), so that its one administrator really is the last."""
    live, stop = start_idp("postgres", tmp_path_factory, database_suffix="_console_ops")
    yield live
    stop()


def test_the_last_administrator_cannot_be_revoked(alone):
    admin, secret = make_admin(alone)
    browser = Browser(alone)
    enter_console(browser, admin, secret)
    page = browser.go(alone.endpoint("/admin/administrators"))
    path = f"/admin/administrators/{admin.id}/revoke"
    asked = post_form(browser, path, page)
    assert "You can no longer enter the console" in asked.text
    refused = browser.go(alone.endpoint(path), "POST", hidden_fields(asked.text))
    assert refused.status_code == 409 and "is the last administrator" in refused.text
    assert alone.services.administrators.is_administrator(admin.id)
    assert alone.services.audit_events.list(action="admin.revoked") == []


# -- registration tokens ---------------------------------------------------------
def shown_token(page) -> str:
    return re.search(r'<code id="registration-token">([^<]+)</code>', page.text).group(1)


def test_a_registration_token_is_shown_once_not_cached_then_listed_by_its_hash_rfc7591_3(idp, console):
    browser, admin = console
    page = browser.go(idp.endpoint("/admin/registration-tokens"))
    assert page.status_code == 200 and 'name="uses"' in page.text
    made = post_form(browser, "/admin/registration-tokens/new", page, uses="2", expires_in="3600")
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    value = shown_token(made)
    token_id = hashlib.sha256(value.encode()).hexdigest()
    listed = browser.go(idp.endpoint("/admin/registration-tokens"))
    pages = [listed.text]
    # Keyset pages by hash: other tests' tokens may come first, so follow "Next" until it is listed.
    while token_id not in pages[-1] and (more := re.search(r'href="([^"]+)" rel="next"', pages[-1])) and len(pages) < 100:
        pages.append(browser.go(idp.endpoint(html.unescape(more.group(1)))).text)
    assert token_id in pages[-1] and not any(value in text for text in pages)
    [event] = [e for e in events(idp, "registration_token.created", admin) if e.details["token_id"] == token_id[:12]]
    assert event.details["uses"] == 2 and event.details["expires_in"] == 3600
    assert register(idp, value).status_code == 201


def test_a_registration_token_with_bad_input_is_a_400_page(idp, console):
    browser, admin = console
    page = browser.go(idp.endpoint("/admin/registration-tokens"))
    before = len(events(idp, "registration_token.created", admin))
    for fields in ({"uses": "0", "expires_in": "3600"}, {"uses": "10001", "expires_in": "3600"},
                   {"uses": "²", "expires_in": "3600"}, {"uses": "-1", "expires_in": "3600"},
                   {"uses": "1", "expires_in": "12345"}, {"uses": "", "expires_in": "3600"},
                   {"uses": "1", "expires_in": "9" * 50}):
        refused = post_form(browser, "/admin/registration-tokens/new", page, **fields)
        assert refused.status_code == 400, fields
        assert "registration-token" not in refused.text.split("<h1>")[1][:200]
    forged = browser.go(idp.endpoint("/admin/registration-tokens/new"), "POST", {"uses": "1", "expires_in": "3600"})
    assert forged.status_code == 400
    assert len(events(idp, "registration_token.created", admin)) == before


def test_revoking_a_registration_token_asks_first_and_is_audited(idp, console):
    browser, admin = console
    page = browser.go(idp.endpoint("/admin/registration-tokens"))
    made = post_form(browser, "/admin/registration-tokens/new", page, uses="1", expires_in="86400")
    value = shown_token(made)
    token = idp.services.initial_access_tokens.get(hashlib.sha256(value.encode()).hexdigest())
    path = f"/admin/registration-tokens/{token.id}/revoke"
    assert browser.go(idp.endpoint(path), "POST", {"confirmed": "yes"}).status_code == 400  # no CSRF token
    asked = post_form(browser, path, page)
    assert asked.status_code == 200 and "Revoke this registration token?" in asked.text
    assert idp.services.initial_access_tokens.get(token.id) is not None
    done = browser.go(idp.endpoint(path), "POST", hidden_fields(asked.text))
    assert done.status_code == 200 and "The token was revoked." in done.text
    assert idp.services.initial_access_tokens.get(token.id) is None
    assert [e.details["token_id"] for e in events(idp, "registration_token.deleted", admin)] == [token.id[:12]]
    assert register(idp, value).status_code == 401
    assert post_form(browser, path, page).status_code == 404
    assert post_form(browser, "/admin/registration-tokens/not-a-hash/revoke", page).status_code == 404


# -- signing keys: retire, revoke, import -------------------------------------------
def imported_key(idp, browser, page) -> str:
    """A fresh RSA key imported through the console (it is RS256's next key now): its kid."""
    done = post_form(browser, "/admin/keys/import", page, key=pem_of(rsa.generate_private_key(65537, 2048)))
    assert done.status_code == 200 and "was imported" in done.text, done.text[:500]
    return re.search(r"The key (\S+) was imported", done.text).group(1)


def key_state(idp, kid: str) -> str:
    return next(row.state for row in idp.services.keys.list_keys() if row.kid == kid)


def test_an_imported_key_becomes_the_next_key_audited_without_material(idp, console):
    browser, admin = console
    page = browser.go(idp.endpoint("/admin/keys"))
    assert page.status_code == 200 and 'name="key"' in page.text
    pem = pem_of(rsa.generate_private_key(65537, 2048))
    done = post_form(browser, "/admin/keys/import", page, key=pem, alg="RS256")
    kid = re.search(r"The key (\S+) was imported", done.text).group(1)
    assert key_state(idp, kid) == "next" and f"<code>{kid}</code>" in done.text
    [event] = [e for e in events(idp, "key.imported", admin) if e.details["kid"] == kid]
    assert event.details["alg"] == "RS256" and "BEGIN" not in str(event.details)
    again = post_form(browser, "/admin/keys/import", page, key=pem)
    assert again.status_code == 409 and "was not imported" in again.text and "BEGIN" not in again.text


NOT_BASE64_PEM = "-----BEGIN {0}-----\nnot-base64\n-----END {0}-----".format("PRIVATE KEY")  # no key in the tree


def test_key_import_refuses_bad_input_with_a_400_page_never_echoing_it(idp, console):
    browser, admin = console
    page = browser.go(idp.endpoint("/admin/keys"))
    public = {k: v for k, v in rsa_jwk().items() if k in ("kty", "n", "e")}
    weak = pem_of(rsa.generate_private_key(65537, 1024))
    for fields in ({"key": NOT_BASE64_PEM},
                   {"key": "not a key at all"}, {"key": json.dumps(public)}, {"key": "[1, 2]"}, {"key": "{oops"},
                   {"key": weak}, {"key": ""}, {"key": "x" * 20_000}, {"key": json.dumps(rsa_jwk()), "alg": "HS256"},
                   {"key": json.dumps(rsa_jwk()), "alg": "ES256"}):
        refused = post_form(browser, "/admin/keys/import", page, **fields)
        assert refused.status_code == 400, (fields.get("alg"), fields["key"][:40], refused.text[:300])
        assert re.search(r'<textarea id="key"[^>]*></textarea>', refused.text)  # never filled back in
        assert len(fields["key"]) < 60 or fields["key"][30:60] not in refused.text
    forged = browser.go(idp.endpoint("/admin/keys/import"), "POST", {"key": json.dumps(rsa_jwk())})
    assert forged.status_code == 400
    assert events(idp, "key.imported", admin) == []


def test_retiring_and_revoking_a_key_ask_first_and_are_audited(idp, console):
    browser, admin = console
    page = browser.go(idp.endpoint("/admin/keys"))
    for action, state in (("retire", "retired"), ("revoke", "revoked")):
        kid = imported_key(idp, browser, page)  # a next key: tokens already issued never depended on it
        path = f"/admin/keys/{kid}/{action}"
        assert browser.go(idp.endpoint(path), "POST", {"confirmed": "yes"}).status_code == 400  # no CSRF token
        asked = post_form(browser, path, page)
        assert asked.status_code == 200 and f"{action.capitalize()} the key {kid}?" in asked.text
        assert key_state(idp, kid) == "next"
        done = browser.go(idp.endpoint(path), "POST", hidden_fields(asked.text))
        assert done.status_code == 200 and f"The key {kid} was {state}." in done.text
        assert key_state(idp, kid) == state
        assert [e.details["kid"] for e in events(idp, f"key.{state}", admin)] == [kid]
    assert post_form(browser, path, page).status_code == 404  # revoked: no longer live
    assert post_form(browser, "/admin/keys/no-such-kid/retire", page).status_code == 404
    assert browser.go(idp.endpoint("/admin/keys?done=revoked&kid=%3Cscript%3E")).text.count("was revoked") == 0


def test_console_messages_kept_in_constants_have_their_french_translation():
    from idp.admin.console import administrators, keys, mail, registration_tokens
    from idp.i18n import CATALOGUES

    constants = [mail.RETRIED, administrators.REVOKE_QUESTION, administrators.REVOKE_SELF_QUESTION,
                 administrators.LAST_ADMIN, administrators.NO_SUCH_USER, *administrators.MESSAGES.values(),
                 registration_tokens.BAD_USES, registration_tokens.REVOKE_TOKEN_QUESTION,
                 registration_tokens.NOT_TOKEN_MODE, *registration_tokens.LIFETIMES.values(),
                 keys.RETIRE_KEY_QUESTION, keys.REVOKE_KEY_QUESTION, keys.NOT_IMPORTED, *keys.DONE.values()]
    assert [text for text in constants if text not in CATALOGUES["fr"]] == []


OPS_PAGES = ["/admin/mail", "/admin/administrators", "/admin/registration-tokens", "/admin/keys"]


@pytest.mark.parametrize("path", OPS_PAGES)
def test_each_page_in_french_with_a_garbled_cursor(idp, console, path):
    browser, _ = console
    page = browser.go(idp.endpoint(path + "?lang=fr&after=not-a-cursor"))
    assert page.status_code == 200 and 'lang="fr"' in page.text
    assert "Courriel" in page.text and "Jetons d’enregistrement" in page.text  # the navigation
    assert page.headers["Cache-Control"] == "no-store"
    assert "script-src 'nonce-" in page.headers["Content-Security-Policy"]


def test_a_non_administrator_reaches_none_of_these_pages(idp):
    user = idp.create_user()
    browser = Browser(idp)
    assert enter_console(browser, user, None).status_code == 403
    for path in OPS_PAGES:
        assert browser.go(idp.endpoint(path)).status_code == 403
    for path in ("/admin/mail/retry", "/admin/administrators/grant", "/admin/registration-tokens/new",
                 "/admin/keys/import"):
        assert browser.go(idp.endpoint(path), "POST", {"email": user.email}).status_code in (400, 403)
    assert not idp.services.administrators.is_administrator(user.id)
