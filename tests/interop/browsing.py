"""A person at the IdP's hosted pages in Debian's Chromium: sign in, consent, come back to the RP."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from ..conftest import PASSWORD


@pytest.fixture
def page(chromium):
    """A fresh browser context (no cookies) and its page, English pages."""
    context = chromium.new_context(locale="en-US")
    yield context.new_page()
    context.close()


def sign_in_and_allow(page, start_url: str, user, back_to: str) -> list[str]:
    """Open the RP's start URL, sign in and allow at the IdP, wait until the browser is back at the RP.
    Returns every URL the browser asked for on the way."""
    went_to = []
    page.on("request", lambda request: went_to.append(request.url))
    page.goto(start_url)
    password, allow = page.get_by_label("Password"), page.get_by_role("button", name="Allow")
    password.or_(allow).wait_for()  # the RP may get there by an auto-submitted form (a POST request)
    if password.count():
        sign_in(page, user)
        page.wait_for_url("**/consent?*")
    allow.click()
    page.wait_for_url(back_to + "*")
    return went_to


def sign_in(page, user) -> None:
    """At the IdP's sign-in page the browser is on."""
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def authorization_request(went_to: list[str], idp) -> dict:
    """The parameters of the first authorization request (by GET) among the URLs a browser asked for."""
    url = next(url for url in went_to if url.startswith(idp.endpoint("/authorize?")))
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
