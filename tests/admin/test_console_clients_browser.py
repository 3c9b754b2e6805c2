"""The console's client pages in Chromium (Playwright; issue 34): each application type created through
the form — chosen first, its defaults filled in — and checked through the admin API (RFC 7591 3.2.1
metadata: OIDC Registration 2 application_type, RFC 8252 native apps, a public single-page app,
RFC 6749 4.4 for a machine client); an invalid form shows every error at once with the input kept;
and at a phone's width (390 px) no client page is wider than the viewport (WCAG 2.1 1.4.10 reflow).
Screenshots go to test-artefacts/screenshots/admin-clients-*.png."""

from __future__ import annotations

import pytest

from ..admin_api import admin_session
from ..admin_console_flows import make_admin
from ..conftest import REDIRECT_URI
from ..test_admin_console_browser import sign_in

PHONE = 390


@pytest.fixture
def console_page(idp, chromium):
    def open_page(width: int = 1200):
        context = chromium.new_context(locale="en-US", viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_default_timeout(10_000)
        admin, secret = make_admin(idp)
        sign_in(page, idp, admin, secret)
        page.get_by_role("heading", name="Overview").wait_for()
        contexts.append(context)
        return page
    contexts = []
    yield open_page
    for context in contexts:
        context.close()


def create(page, idp, app_type: str, name: str, fill: dict) -> str:
    """Through the pages: Clients, New client, the type, its fields, Create; the new client's id."""
    page.goto(idp.endpoint("/admin/clients"))
    page.get_by_role("link", name="New client").click()
    page.get_by_role("navigation", name="1. Application type").get_by_role("link", name=app_type).click()
    page.get_by_role("heading", name=f"2. Its settings: {app_type}").wait_for()
    page.get_by_label("Name", exact=True).fill(name)
    for label, value in fill.items():
        field = page.get_by_label(label, exact=True)
        if value is True:
            field.check()
        elif field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.get_by_role("button", name="Create the client").click()
    page.get_by_role("heading", name=name).wait_for()
    return page.locator("#client-id").inner_text()


def test_each_application_type_is_created_through_the_console_with_its_defaults(idp, console_page, screenshot):
    page = console_page()
    api = admin_session(idp)
    web = api.get("/clients/" + create(page, idp, "Web application", "Orders portal", {
        "Redirect URIs": REDIRECT_URI, "Post-logout redirect URIs": REDIRECT_URI + "/bye",
        "Back-channel logout URI": "https://rp.example.com/backchannel",
        "First-party application: skip the consent page": True,
        "Require pushed authorization requests (PAR)": True, "Require DPoP-bound access tokens": True,
        "ID token signing algorithm": "RS256"})).json()
    assert web["token_endpoint_auth_method"] == "client_secret_basic" and web["has_secret"] and web["trusted"]
    assert web["grant_types"] == ["authorization_code", "refresh_token"] and web["application_type"] == "web"
    assert web["post_logout_redirect_uris"] == [REDIRECT_URI + "/bye"]
    assert web["require_pushed_authorization_requests"] and web["dpop_bound_access_tokens"]
    assert web["id_token_signed_response_alg"] == "RS256"
    assert web["backchannel_logout_uri"] == "https://rp.example.com/backchannel"

    spa = api.get("/clients/" + create(page, idp, "Single-page app", "Dashboard", {
        "Redirect URIs": "https://dashboard.example.com/callback",
        "Allowed origins": "https://cdn.example.com"})).json()
    assert spa["token_endpoint_auth_method"] == "none" and not spa["has_secret"]
    assert spa["grant_types"] == ["authorization_code", "refresh_token"] and "openid" in spa["scope"].split()
    assert spa["allowed_origins"] == ["https://cdn.example.com"]

    native = api.get("/clients/" + create(page, idp, "Native app", "Desktop app", {
        "Redirect URIs": "http://127.0.0.1:8765/callback"})).json()
    assert native["application_type"] == "native" and native["token_endpoint_auth_method"] == "none"
    assert native["redirect_uris"] == ["http://127.0.0.1:8765/callback"]

    machine = api.get("/clients/" + create(page, idp, "Machine to machine", "Nightly batch", {})).json()
    assert machine["grant_types"] == ["client_credentials"] and machine["redirect_uris"] == []
    assert not {"openid", "offline_access"} & set(machine["scope"].split())
    assert machine["token_endpoint_auth_method"] == "client_secret_basic" and machine["has_secret"]
    screenshot(page, "admin-clients-01-created")


def test_an_invalid_form_shows_every_error_at_once_and_keeps_the_input(idp, console_page, screenshot):
    page = console_page()
    page.goto(idp.endpoint("/admin/clients/new?type=web"))
    page.get_by_label("Name", exact=True).fill("Half right")
    page.get_by_label("Redirect URIs", exact=True).fill("http://rp.example.com/callback")
    page.get_by_label("Post-logout redirect URIs", exact=True).fill("https://rp.example.com/bye#frag")
    page.get_by_label("Back-channel logout URI", exact=True).fill("not a url")
    page.get_by_label("Maximum authentication age (seconds)", exact=True).fill("an hour")
    page.get_by_role("button", name="Create the client").click()
    summary = page.locator("#form-error")
    summary.wait_for()
    assert summary.locator("li").count() >= 4
    text = summary.inner_text()
    assert "None" not in text and "['" not in text
    for field in ("redirect_uris", "post_logout_redirect_uris", "backchannel_logout_uri", "default_max_age"):
        assert page.locator(f"#{field}").get_attribute("aria-invalid") == "true", field
        assert page.locator(f"#{field}-error").is_visible(), field
    assert page.get_by_label("Name", exact=True).input_value() == "Half right"
    assert page.get_by_label("Redirect URIs", exact=True).input_value() == "http://rp.example.com/callback"
    assert page.get_by_label("Maximum authentication age (seconds)", exact=True).input_value() == "an hour"
    page.locator("#form-error a[href='#default_max_age']").click()  # the summary leads to the field
    screenshot(page, "admin-clients-02-errors")


def test_the_client_pages_fit_a_390_px_wide_phone(idp, console_page, screenshot):
    """WCAG 2.1 1.4.10 (reflow): nothing scrolls sideways at 390 CSS px, long ids and URIs included."""
    client, _ = idp.create_client(name="A client with a rather long name for a small screen",
                                  redirect_uris=["https://a-very-long-host-name.example.com/oauth2/callback/"
                                                 "with/a/long/path/indeed"])
    page = console_page(PHONE)
    paths = ["/admin/clients", "/admin/clients/new", "/admin/clients/new?type=machine",
             f"/admin/clients/{client.client_id}"]
    for path in paths:
        page.goto(idp.endpoint(path))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE, (path, width)
    page.goto(idp.endpoint("/admin/clients/new?type=spa"))
    page.get_by_label("Redirect URIs", exact=True).fill("http://insecure.example.com/" + "x" * 200)
    page.get_by_role("button", name="Create the client").click()
    page.locator("#form-error").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    screenshot(page, "admin-clients-03-phone")
