"""Helpers of the admin console tests: an administrator with a second factor, and entering the
console through its OpenID Connect sign-in with the requests-based Browser."""

from __future__ import annotations

import time

import pyotp
import pytest

from .conftest import PASSWORD, Browser, hidden_fields


def make_admin(idp, mfa: bool = True):
    """(user, TOTP secret or None): granted as `idp admins grant` does, enrolled a step in the past
    so the sign-in's code (the current step) is not a replay."""
    user = idp.create_user()
    idp.services.administrators.grant(user.id, granted_by="test")
    secret = None
    if mfa:
        secret = pyotp.random_base32()
        assert idp.services.mfa.enrol(user.id, secret, pyotp.TOTP(secret).at(time.time() - 30)) is not None
    return user, secret


def enter_console(browser: Browser, user, secret: str | None, path: str = "/admin"):
    """GET path, sign in (password, then the TOTP code when there is one); returns the last response."""
    page = browser.go(browser.idp.endpoint(path))
    assert 'name="password"' in page.text, page.text[:300]
    page = browser.login(page, user.email, PASSWORD)
    if secret is not None:
        assert 'name="code"' in page.text, page.text[:300]
        fields = hidden_fields(page.text)
        fields["code"] = pyotp.TOTP(secret).now()
        page = browser.go(browser.idp.endpoint("/login/mfa"), "POST", fields)
    return page


def post_form(browser: Browser, path: str, page, **fields):
    """POST to path with the CSRF token of a page already shown (and extra fields)."""
    data = {"csrf_token": hidden_fields(page.text)["csrf_token"], **fields}
    return browser.go(browser.idp.endpoint(path), "POST", data)


@pytest.fixture
def console(idp):
    """(browser in the console, its administrator)."""
    admin, secret = make_admin(idp)
    browser = Browser(idp)
    assert enter_console(browser, admin, secret).status_code == 200
    return browser, admin
