"""Steps of the account flows, as a user agent does them (shared by the account tests)."""

from __future__ import annotations

import time
import uuid

import pyotp

from .conftest import PASSWORD, Browser, hidden_fields, mail_link


def new_email() -> str:
    return f"person-{uuid.uuid4().hex[:10]}@example.com"


def submit(browser: Browser, path: str, page_or_path=None, **fields):
    """GET the form (for its CSRF token and hidden fields), then POST it with fields."""
    page = browser.go(browser.idp.endpoint(page_or_path or path)) if not hasattr(page_or_path, "text") else page_or_path
    data = hidden_fields(page.text)
    data.update(fields)
    return browser.go(browser.idp.endpoint(path), "POST", data)


def sign_up(browser: Browser, email: str, password: str = PASSWORD, name: str = "Grace Hopper",
            start: str = "/register"):
    return submit(browser, "/register", start, name=name, email=email, password=password)


def verify_from_mail(browser: Browser, mailbox, email: str):
    link = mail_link(mailbox.wait_for(email, "confirm"), "/verify-email")
    page = browser.go(link)
    return submit(browser, "/verify-email", page)


def signed_up_user(idp, mailbox, email: str | None = None, password: str = PASSWORD):
    """A verified account made through the pages, and the browser that made it."""
    email = email or new_email()
    browser = Browser(idp)
    sign_up(browser, email, password)
    verify_from_mail(browser, mailbox, email)
    return idp.services.users.by_email(email), browser


def sign_in(browser: Browser, email: str, password: str = PASSWORD, start: str = "/login"):
    return submit(browser, "/login", start, email=email, password=password)


def totp_secret(page_html: str) -> str:
    start = page_html.index('id="totp-secret">') + len('id="totp-secret">')
    return page_html[start:page_html.index("</code>", start)].replace(" ", "")


def next_code(secret: str, steps_ahead: int = 1) -> str:
    """A code for a later time step: the step used at enrolment cannot be used again (no replay)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def enrol_totp(browser: Browser, password: str = PASSWORD) -> tuple[str, str]:
    """Turn on TOTP from the account page; returns (secret, page with the recovery codes)."""
    page = browser.go(browser.idp.endpoint("/account/mfa"))
    secret = totp_secret(page.text)
    done = submit(browser, "/account/mfa", page, code=pyotp.TOTP(secret).now(), password=password)
    assert "recovery codes" in done.text.lower(), done.text[:2000]
    return secret, done.text
