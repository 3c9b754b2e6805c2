"""The console's operations pages (issue 15): the mail outbox, administrators, registration tokens,
and retiring, revoking and importing signing keys. Each calls the service the admin API calls,
refuses a POST without its CSRF token and bad input with a 400 page, asks before a destructive
action, and audits with the administrator as the actor (`user:<id>`)."""

from __future__ import annotations

import pytest

from .admin_console_flows import enter_console, make_admin, post_form
from .conftest import Browser, hidden_fields


@pytest.fixture
def console(idp):
    """(browser in the console, its administrator)."""
    admin, secret = make_admin(idp)
    browser = Browser(idp)
    assert enter_console(browser, admin, secret).status_code == 200
    return browser, admin


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
