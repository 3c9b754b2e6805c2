"""Passkeys and the ID token: amr (RFC 8176) and the phishing-resistant acr after a sign-in with
a passkey alone or after a password; relying parties that require it (acr_values, an essential
acr claim: OIDC Core 3.1.2.1, 5.5.1.1) get the passkey step, never a silent downgrade."""

from __future__ import annotations

import dataclasses

from authlib.common.security import generate_token

from idp.accounts.mfa import ACR_PHISHING_RESISTANT

from .conftest import Browser, callback_params
from .flows import enrol_totp, next_code, sign_in, submit
from .passkey_flows import add_passkey, authenticator, passkey_sign_in, pk_idp, user_with_passkey  # noqa: F401
from .soft_authenticator import page_ceremony
from .test_code_flow import relying_party, validate_id_token
from .test_mfa import id_token_claims
from .test_passkeys import events


def confidential_client(idp):
    client, secret = idp.create_client()
    return dataclasses.replace(client, client_metadata={"secret": secret})


@dataclasses.dataclass
class CodeFlow:
    """The relying party's side of one authorization code flow (PKCE, nonce)."""

    idp: object
    client: object
    extra: dict

    def __post_init__(self):
        self.rp, self.meta = relying_party(self.idp, self.client, "openid email")
        self.verifier, self.nonce = generate_token(48), generate_token(16)
        self.url, _ = self.rp.create_authorization_url(self.meta["authorization_endpoint"], code_verifier=self.verifier,
                                                       nonce=self.nonce, **self.extra)

    def id_token_claims(self, browser, response) -> dict:
        """Consent if asked, then the code from the redirect, redeemed; the ID token's claims."""
        if "would like to" in response.text:
            response = browser.consent(response)
        token = self.rp.fetch_token(self.meta["token_endpoint"], code=callback_params(response)["code"],
                                    code_verifier=self.verifier)
        validate_id_token(self.meta, token["id_token"], self.client.client_id, self.nonce)
        return id_token_claims(token)


def passkey_code_flow(idp, browser, client, device, **extra):
    """Authorize -> login page -> "Sign in with a passkey" -> consent -> code -> tokens."""
    flow = CodeFlow(idp, client, extra)
    response, _ = passkey_sign_in(browser, device, start=browser.go(flow.url))
    return flow.id_token_claims(browser, response)


def test_sign_in_with_a_passkey_alone_gives_hwk_user_and_the_phishing_resistant_acr_rfc8176(pk_idp):
    device = authenticator(pk_idp)
    user = user_with_passkey(pk_idp, device)
    client = confidential_client(pk_idp)
    claims = passkey_code_flow(pk_idp, Browser(pk_idp), client, device)
    assert claims["amr"] == ["hwk", "user"] and claims["acr"] == ACR_PHISHING_RESISTANT
    assert events(pk_idp, "login.succeeded", user.id)[0].details["amr"] == ["hwk", "user"]
    stored = pk_idp.services.passkeys.for_user(user.id)
    assert stored[0].sign_count == 1 and stored[0].last_used_at is not None


def test_passkey_as_second_factor_is_offered_first_and_adds_mfa_rfc8176(pk_idp):
    device = authenticator(pk_idp, user_verified=False)  # a security key without PIN: fine after a password
    user = pk_idp.create_user()
    browser = Browser(pk_idp)
    sign_in(browser, user.email)
    secret, _ = enrol_totp(browser)
    # binding a passkey next to the TOTP needs a sign-in that used it (NIST 800-63B 6.1.2.1)
    browser = Browser(pk_idp)
    submit(browser, "/login/mfa", sign_in(browser, user.email), code=next_code(secret))
    # user verification is required to add a passkey (it may later sign in alone)
    device.user_verified = True
    assert "Your passkey is ready" in add_passkey(browser, device).text
    device.user_verified = False
    second = Browser(pk_idp)
    page = sign_in(second, user.email)
    assert page.text.index('id="passkey-second-factor"') < page.text.index('name="code"')
    done, _ = passkey_sign_in(second, device, start=page, form_id="passkey-second-factor", action="/login/mfa/passkey")
    assert done.final_url.endswith("/account")
    assert events(pk_idp, "login.succeeded", user.id)[0].details["amr"] == ["pwd", "hwk", "mfa"]
    # without user verification a passkey alone does not sign in (L3 7.2 step 17)
    alone, _ = passkey_sign_in(Browser(pk_idp), device)
    assert "could not be verified" in alone.text


def test_a_wrong_passkey_at_the_second_step_counts_towards_the_lock(pk_idp):
    device = authenticator(pk_idp)
    user = user_with_passkey(pk_idp, device)
    browser = Browser(pk_idp)
    passkey_sign_in(browser, device)  # TOTP next to a passkey needs a sign-in that used it
    enrol_totp(browser)
    second = Browser(pk_idp)
    page = sign_in(second, user.email)
    refused, _ = passkey_sign_in(second, device, start=page, form_id="passkey-second-factor",
                                 action="/login/mfa/passkey", origin="http://localhost:1")
    assert "another website address" in refused.text and 'name="code"' in refused.text
    assert events(pk_idp, "login.mfa_failed", user.id)[0].details["reason"] == "wrong_origin"


def test_acr_values_phishing_resistant_without_a_passkey_shows_the_passkey_step_oidc_core_3_1_2_1(pk_idp):
    user = pk_idp.create_user()
    client = confidential_client(pk_idp)
    flow = CodeFlow(pk_idp, client, {"acr_values": ACR_PHISHING_RESISTANT})
    browser = Browser(pk_idp)
    step = sign_in(browser, user.email, start=browser.go(flow.url))
    assert "Passkey required" in step.text and "Create a passkey" in step.text
    device = authenticator(pk_idp)
    options, fields = page_ceremony(step.text, "passkey-step")
    fields.update(credential=device.create(options), name="Phone")
    use = browser.go(pk_idp.endpoint("/login/passkey-step"), "POST", fields)
    # the new passkey does not raise the password session: the user signs in with it afresh
    assert "Sign in with it to continue" in use.text and 'id="passkey-step"' not in use.text
    done, _ = passkey_sign_in(browser, device, start=use, form_id="passkey-sign-in", action="/login/passkey")
    claims = flow.id_token_claims(browser, done)
    assert claims["acr"] == ACR_PHISHING_RESISTANT and claims["amr"] == ["hwk", "user"]


def test_an_essential_acr_claim_for_a_passkey_asks_for_it_after_the_password_oidc_core_5_5_1_1(pk_idp):
    import json

    device = authenticator(pk_idp)
    user = user_with_passkey(pk_idp, device)
    client = confidential_client(pk_idp)
    claims = {"id_token": {"acr": {"essential": True, "values": [ACR_PHISHING_RESISTANT]}}}
    browser = Browser(pk_idp)
    token = code_flow_with_passkey_second_step(pk_idp, browser, client, user, device, claims=json.dumps(claims))
    assert token["acr"] == ACR_PHISHING_RESISTANT and "mfa" in token["amr"]


def code_flow_with_passkey_second_step(idp, browser, client, user, device, **extra):
    flow = CodeFlow(idp, client, extra)
    page = sign_in(browser, user.email, start=browser.go(flow.url))
    assert 'id="passkey-second-factor"' in page.text and 'name="code"' not in page.text  # no TOTP: passkey only
    done, _ = passkey_sign_in(browser, device, start=page, form_id="passkey-second-factor", action="/login/mfa/passkey")
    return flow.id_token_claims(browser, done)


def test_discovery_advertises_the_phishing_resistant_acr(pk_idp):
    meta = Browser(pk_idp).go(pk_idp.endpoint("/.well-known/openid-configuration")).json()
    assert ACR_PHISHING_RESISTANT in meta["acr_values_supported"]
