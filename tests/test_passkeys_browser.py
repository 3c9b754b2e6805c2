"""Passkeys in a real browser: Debian's Chromium through Playwright, with a WebAuthn virtual
authenticator (CTAP2, internal, resident keys, user verification) attached over the DevTools
protocol, so the page's own script drives navigator.credentials (WebAuthn L3 5.1.3, 5.1.4).
The IdP's issuer is http://localhost:PORT: browsers refuse WebAuthn on an IP address origin."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
import requests
from authlib.common.security import generate_token

from idp.accounts.mfa import ACR_PHISHING_RESISTANT

from .conftest import PASSWORD, REDIRECT_URI
from .passkey_flows import pk_idp  # noqa: F401
from .test_code_flow import relying_party, validate_id_token
from .test_mfa import id_token_claims


@pytest.fixture
def passkey_page(pk_idp, chromium):
    if pk_idp.backend != "postgres":
        pytest.skip("one backend is enough for the browser: the ceremonies are the same")
    context = chromium.new_context(locale="en-US")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True}})
    page.credentials = lambda: cdp.send("WebAuthn.getCredentials", authenticator)["credentials"]
    yield page
    context.close()


def new_signed_in_user(page, idp):
    user = idp.create_user()
    password_sign_in(page, idp, user.email)
    page.wait_for_url(idp.endpoint("/account"))
    return user


def password_sign_in(page, idp, email, start="/login"):
    page.goto(idp.endpoint(start))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def add_passkey_in_browser(page, idp, name):
    page.goto(idp.endpoint("/account/passkeys"))
    page.get_by_label("Passkey name").fill(name)
    page.get_by_role("button", name="Add a passkey", exact=True).click()
    page.get_by_text("Your passkey is ready").wait_for()
    assert name in page.locator("#passkey-list").inner_text()


def sign_out(page, idp, user):
    page.goto(idp.endpoint("/account"))
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out", exact=True).first.click()
    assert idp.services.sessions.list(user.id) == []


def without_autofill(page):
    """Chromium's virtual authenticator answers a conditional request at once (as if the user picked
    the passkey from the autofill list): hide conditional mediation to test the button instead."""
    page.add_init_script("PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);")


def test_add_a_passkey_sign_out_and_sign_in_with_it_alone_through_a_relying_party(pk_idp, passkey_page):
    page, idp = passkey_page, pk_idp
    without_autofill(page)
    user = new_signed_in_user(page, idp)
    add_passkey_in_browser(page, idp, "Test laptop")
    assert len(page.credentials()) == 1 and page.credentials()[0]["isResidentCredential"]
    stored = idp.services.passkeys.for_user(user.id)
    assert stored[0].name == "Test laptop" and stored[0].user_id == user.id
    sign_out(page, idp, user)

    client, secret = idp.create_client(name="Passkey RP")
    from dataclasses import replace

    client = replace(client, client_metadata={"secret": secret})
    rp, meta = relying_party(idp, client, "openid email")
    verifier, nonce = generate_token(48), generate_token(16)
    url, state = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    callbacks = []
    page.route(REDIRECT_URI + "*", lambda route: (callbacks.append(route.request.url),
                                                  route.fulfill(status=200, body="rp")))
    page.goto(url)
    assert page.title() == "Sign in"
    assert page.get_by_label("Email").get_attribute("autocomplete") == "username webauthn"
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url("**/consent**")
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(REDIRECT_URI + "*")
    params = {k: v[0] for k, v in parse_qs(urlsplit(callbacks[-1]).query).items()}
    assert params["state"] == state
    token = rp.fetch_token(meta["token_endpoint"], code=params["code"], code_verifier=verifier)
    validate_id_token(meta, token["id_token"], client.client_id, nonce)
    claims = id_token_claims(token)
    assert claims["acr"] == ACR_PHISHING_RESISTANT
    assert claims["amr"][0] in ("hwk", "swk") and "user" in claims["amr"] and "pwd" not in claims["amr"]
    assert rp.get(meta["userinfo_endpoint"]).json()["email"] == user.email


def test_passkey_autofill_in_the_email_field_signs_in_conditional_mediation(pk_idp, passkey_page):
    """WebAuthn L3 5.1.4 (mediation "conditional"): the login page asks as soon as it loads; the
    virtual authenticator picks the passkey as a user would from the email field's suggestions.
    (Before the passkey exists the request waits, and the password form is used as usual.)"""
    page, idp = passkey_page, pk_idp
    user = new_signed_in_user(page, idp)
    add_passkey_in_browser(page, idp, "Phone")
    sign_out(page, idp, user)
    page.goto(idp.endpoint("/login"))
    page.wait_for_url(idp.endpoint("/account"))
    assert user.email in page.content()
    last = idp.services.audit_events.list(user_id=user.id, action="login.succeeded")[0]
    assert "pwd" not in last.details["amr"] and "user" in last.details["amr"]


def test_passkey_as_the_second_step_after_a_password_in_a_real_browser(pk_idp, passkey_page):
    page, idp = passkey_page, pk_idp
    without_autofill(page)
    user = new_signed_in_user(page, idp)
    page.goto(idp.endpoint("/account/mfa"))
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_role("button", name="Turn on two-step verification").click()
    page.get_by_role("link", name="I have saved them").click()
    # a passkey next to the TOTP needs a sign-in that used it (NIST SP 800-63B 6.1.2.1)
    sign_out(page, idp, user)
    password_sign_in(page, idp, user.email)
    page.wait_for_url("**/login/mfa**")
    page.get_by_label("Verification code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(idp.endpoint("/account"))
    add_passkey_in_browser(page, idp, "Security key")
    sign_out(page, idp, user)

    password_sign_in(page, idp, user.email)
    page.wait_for_url("**/login/mfa**")
    page.get_by_role("button", name="Use your passkey").click()
    page.wait_for_url(idp.endpoint("/account"))
    last = idp.services.audit_events.list(user_id=user.id, action="login.succeeded")[0]
    assert last.details["amr"][0] == "pwd" and last.details["amr"][-1] == "mfa"


def test_french_login_page_offers_the_passkey_in_a_real_browser(pk_idp, passkey_page):
    page = passkey_page
    without_autofill(page)
    page.goto(pk_idp.endpoint("/login?lang=fr"))
    button = page.get_by_role("button", name="Se connecter avec une clé d’accès")
    assert button.is_visible()  # the script found WebAuthn and showed the form
    assert requests.get(pk_idp.endpoint("/static/passkeys.js"), timeout=5).status_code == 200
