"""Where a person takes part in a flow, a real browser (Debian's Chromium through Playwright):
confirming an RP-initiated logout, entering a device code."""

from __future__ import annotations

from urllib.parse import urlencode

import requests

from .conftest import PASSWORD

POST_LOGOUT = "http://127.0.0.1:8080/signed-out"


def sign_in(page, idp, user):
    page.goto(idp.endpoint("/login"))
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(idp.endpoint("/account"))


def capture(page, url_prefix: str) -> list:
    """The relying party is not running: record the redirects to it instead of loading them."""
    seen = []
    page.route(url_prefix + "*", lambda route: (seen.append(route.request.url),
                                                route.fulfill(status=200, body="rp")))
    return seen


def test_user_confirms_rp_initiated_logout_in_a_real_browser_rpinitiated_6(idp, chromium, user):  # noqa: F811
    client, _ = idp.create_client(name="Logout RP", metadata={"post_logout_redirect_uris": [POST_LOGOUT]})
    context = chromium.new_context(locale="en-US")
    page = context.new_page()
    sign_in(page, idp, user)
    redirects = capture(page, POST_LOGOUT)
    meta = requests.get(idp.endpoint("/.well-known/openid-configuration"), timeout=5).json()
    page.goto(meta["end_session_endpoint"] + "?" + urlencode(
        {"client_id": client.client_id, "post_logout_redirect_uri": POST_LOGOUT, "state": "bye"}))
    assert page.title() == "Sign out"
    assert "Logout RP" in page.content()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(POST_LOGOUT + "*")
    assert redirects == [POST_LOGOUT + "?state=bye"]
    page.goto(idp.endpoint("/"))
    assert "Sign in" in page.content() and user.email not in page.content()
    context.close()


def test_user_enters_a_device_code_in_a_real_browser_rfc8628_3_3(idp, chromium, user):  # noqa: F811
    from .test_device import DEVICE_GRANT, poll, start

    device, _ = idp.create_client(name="Living room TV", public=True, redirect_uris=[], grant_types=[DEVICE_GRANT])
    grant = start(idp, device, scope="openid profile")
    context = chromium.new_context(locale="en-US")
    page = context.new_page()
    page.goto(grant["verification_uri"])
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/device")
    page.get_by_label("Code").fill(grant["user_code"].lower())
    page.get_by_role("button", name="Continue").click()
    assert page.title() == "Allow device"
    assert "Living room TV" in page.content()
    assert page.locator("#shown-code").inner_text() == grant["user_code"]
    page.get_by_role("button", name="Allow").click()
    page.get_by_role("heading", name="Device connected").wait_for()
    context.close()
    assert poll(idp, device, grant["device_code"])["access_token"]
