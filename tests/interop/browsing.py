"""A person at the IdP's hosted pages in Debian's Chromium: sign in, consent, come back to the RP."""

from __future__ import annotations

import pytest

from ..conftest import PASSWORD


@pytest.fixture
def page(chromium):
    """A fresh browser context (no cookies) and its page, English pages."""
    context = chromium.new_context(locale="en-US")
    yield context.new_page()
    context.close()


def sign_in_and_allow(page, start_url: str, user, back_to: str) -> None:
    """Open the RP's start URL, sign in and allow at the IdP, wait until the browser is back at the RP."""
    page.goto(start_url)
    password, allow = page.get_by_label("Password"), page.get_by_role("button", name="Allow")
    password.or_(allow).wait_for()  # the RP may get there by an auto-submitted form (a POST request)
    if password.count():
        sign_in(page, user)
        page.wait_for_url("**/consent?*")
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(back_to + "*")


def sign_in(page, user) -> None:
    """At the IdP's sign-in page the browser is on."""
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
