"""A real browser (Debian's Chromium driven by Playwright) signs in through the hosted pages
and consents; the relying party's callback receives a code that redeems for tokens."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from .conftest import PASSWORD, REDIRECT_URI


def test_user_signs_in_and_consents_in_a_real_browser(idp, chromium, client, user, tmp_path):
    meta = requests.get(idp.endpoint("/.well-known/openid-configuration"), timeout=5).json()
    rp = OAuth2Session(client.client_id, client.client_metadata["secret"], scope="openid profile email",
                       redirect_uri=REDIRECT_URI, code_challenge_method="S256")
    verifier = generate_token(48)
    url, state = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce="n1")

    context = chromium.new_context(locale="en-US")
    page = context.new_page()
    callbacks = []
    # The relying party is not running: capture the redirect to it instead of loading it.
    page.route(REDIRECT_URI + "*", lambda route: (callbacks.append(route.request.url),
                                                  route.fulfill(status=200, body="rp")))
    page.goto(url)
    assert page.title() == "Sign in"
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/consent**")
    assert client.name in page.content()
    page.screenshot(path=str(tmp_path / "consent.png"))
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(REDIRECT_URI + "*")
    context.close()

    params = {k: v[0] for k, v in parse_qs(urlsplit(callbacks[-1]).query).items()}
    assert params["state"] == state
    token = rp.fetch_token(meta["token_endpoint"], code=params["code"], code_verifier=verifier)
    assert token["id_token"] and token["access_token"]
    assert rp.get(meta["userinfo_endpoint"]).json()["email"] == user.email


def test_wrong_password_shows_an_accessible_error(idp, chromium, user):
    page = chromium.new_page()
    page.goto(idp.endpoint("/login"))
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    assert "Incorrect email or password" in alert.inner_text()
    assert page.get_by_label("Email").get_attribute("aria-invalid") == "true"
    page.close()
