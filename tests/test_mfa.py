"""Second factor: TOTP enrolment (RFC 6238) with a QR code and recovery codes, asked at sign-in;
amr ["pwd","otp"] and acr in the ID token (OIDC Core 2, RFC 8176); acr_values can require it."""

from __future__ import annotations

import base64
import json

import pyotp
import pytest
import requests
from authlib.common.security import generate_token

from idp.accounts.mfa import ACR_MFA, ACR_PASSWORD

from .conftest import PASSWORD, Browser, callback_params
from .flows import enrol_totp, next_code, sign_in, submit
from .test_code_flow import relying_party, validate_id_token


@pytest.fixture
def enrolled(idp):
    """A user with TOTP on, signed out; returns (user, secret, recovery codes)."""
    user = idp.create_user()
    browser = Browser(idp)
    sign_in(browser, user.email)
    secret, page = enrol_totp(browser)
    codes = [c.split(">")[1].split("<")[0] for c in page.split('<li><code')[1:]]
    assert len(codes) == 10
    return user, secret, codes


def id_token_claims(token: dict) -> dict:
    payload = token["id_token"].split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def code_flow(idp, browser, client, email, second_factor=None, **extra):
    """Authorize -> login (-> code page) (-> consent) -> code -> tokens; returns the token response."""
    rp, meta = relying_party(idp, client, "openid email")
    verifier, nonce = generate_token(48), generate_token(16)
    url, _ = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce, **extra)
    response = browser.go(url)
    if 'name="password"' in response.text:
        response = sign_in(browser, email, PASSWORD, start=response)
    if 'name="code"' in response.text:
        assert second_factor, "the code page was not expected"
        response = submit(browser, "/login/mfa", response, code=second_factor)
    if "would like to" in response.text:
        response = browser.consent(response)
    params = callback_params(response)
    if "error" in params:
        return params
    token = rp.fetch_token(meta["token_endpoint"], code=params["code"], code_verifier=verifier)
    validate_id_token(meta, token["id_token"], client.client_id, nonce)
    return token


def test_enrolment_shows_a_qr_code_and_the_key_and_needs_a_valid_code(idp):
    user = idp.create_user()
    browser = Browser(idp)
    sign_in(browser, user.email)
    page = browser.go(idp.endpoint("/account/mfa"))
    assert 'src="data:image/svg+xml;base64,' in page.text and 'id="totp-secret"' in page.text
    wrong = submit(browser, "/account/mfa", page, code="000000", password=PASSWORD)
    assert wrong.status_code == 400 and "not valid" in wrong.text
    assert not idp.services.mfa.is_enrolled(user.id)


def test_enrolment_needs_the_current_password_owasp_asvs_3_7_1(idp):
    user = idp.create_user()
    browser = Browser(idp)
    sign_in(browser, user.email)
    page = browser.go(idp.endpoint("/account/mfa"))
    from .flows import totp_secret

    refused = submit(browser, "/account/mfa", page, code=pyotp.TOTP(totp_secret(page.text)).now(), password="nope")
    assert refused.status_code == 400 and "current password is not correct" in refused.text
    assert not idp.services.mfa.is_enrolled(user.id)


def test_sign_in_asks_for_the_code_and_the_id_token_says_so_oidc_core_acr_amr(idp, enrolled, client):
    user, secret, _ = enrolled
    browser = Browser(idp)
    claims = id_token_claims(code_flow(idp, browser, client, user.email, second_factor=next_code(secret)))
    assert claims["amr"] == ["pwd", "otp"] and claims["acr"] == ACR_MFA


def test_password_only_sign_in_says_pwd(idp, client, user):
    claims = id_token_claims(code_flow(idp, Browser(idp), client, user.email))
    assert claims["amr"] == ["pwd"] and claims["acr"] == ACR_PASSWORD


def test_the_password_alone_does_not_sign_in_an_enrolled_account(idp, enrolled):
    user, _, _ = enrolled
    before = len(idp.services.sessions.list(user.id))  # the enrolling browser's
    browser = Browser(idp)
    page = sign_in(browser, user.email)
    assert 'name="code"' in page.text
    assert len(idp.services.sessions.list(user.id)) == before  # no session until the second factor
    assert browser.go(idp.endpoint("/account")).final_url.startswith(idp.endpoint("/login"))


def test_a_totp_code_cannot_be_used_twice_rfc6238_5_2(idp, enrolled):
    user, secret, _ = enrolled
    code = next_code(secret)
    first = Browser(idp)
    assert "signed in as" in submit(first, "/login/mfa", sign_in(first, user.email), code=code).text
    second = Browser(idp)
    replay = submit(second, "/login/mfa", sign_in(second, user.email), code=code)
    assert replay.status_code == 401 and "not valid" in replay.text


def test_a_recovery_code_works_once_owasp_asvs_2_6_1(idp, enrolled):
    user, _, codes = enrolled
    browser = Browser(idp)
    assert "signed in as" in submit(browser, "/login/mfa", sign_in(browser, user.email), code=codes[0].upper()).text
    again = Browser(idp)
    assert submit(again, "/login/mfa", sign_in(again, user.email), code=codes[0]).status_code == 401
    assert idp.services.mfa.remaining_recovery_codes(user.id) == 9


def test_wrong_codes_count_towards_the_lock(idp, enrolled):
    user, secret, _ = enrolled
    browser = Browser(idp)
    page = sign_in(browser, user.email)
    statuses = [submit(browser, "/login/mfa", page, code="123456").status_code for _ in range(5)]
    assert statuses[-1] == 429 and set(statuses[:-1]) == {401}
    assert submit(browser, "/login/mfa", page, code=next_code(secret)).status_code == 429


def test_acr_values_steps_up_a_password_session_to_the_second_factor(idp, enrolled, client):
    user, secret, _ = enrolled
    browser = Browser(idp)
    code_flow(idp, browser, client, user.email, second_factor=next_code(secret))
    # A password-only session of the same user, then an RP that requires the second factor:
    idp.services.mfa.disable(user.id)
    plain = Browser(idp)
    assert id_token_claims(code_flow(idp, plain, client, user.email))["acr"] == ACR_PASSWORD
    secret = enable_again(idp, user)
    claims = id_token_claims(code_flow(idp, plain, client, user.email, second_factor=next_code(secret),
                                       acr_values=ACR_MFA))
    assert claims["acr"] == ACR_MFA and claims["amr"] == ["pwd", "otp"]


def enable_again(idp, user) -> str:
    secret = idp.services.mfa.new_secret()
    assert idp.services.mfa.enrol(user.id, secret, pyotp.TOTP(secret).now()) is not None
    return secret


def test_acr_values_for_an_account_without_second_factor_is_unmet(idp, client, user):
    params = code_flow(idp, Browser(idp), client, user.email, acr_values=ACR_MFA)
    assert params["error"] == "unmet_authentication_requirements"


def test_discovery_advertises_the_acr_values_it_issues(idp):
    meta = requests.get(idp.endpoint("/.well-known/openid-configuration"), timeout=5).json()
    assert meta["acr_values_supported"] == [ACR_PASSWORD, ACR_MFA]
    assert "acr" in meta["claims_supported"]


def test_turning_mfa_off_needs_the_password_and_is_audited(idp, enrolled, caplog):
    user, secret, _ = enrolled
    browser = Browser(idp)
    submit(browser, "/login/mfa", sign_in(browser, user.email), code=next_code(secret))
    page = browser.go(idp.endpoint("/account/mfa"))
    assert "Recovery codes left: 10" in page.text
    refused = submit(browser, "/account/mfa", page, password="wrong", action="disable")
    assert refused.status_code == 400 and idp.services.mfa.is_enrolled(user.id)
    caplog.set_level("INFO", logger="idp.audit")
    done = submit(browser, "/account/mfa", page, password=PASSWORD, action="disable")
    assert "Two-step verification is off" in done.text and not idp.services.mfa.is_enrolled(user.id)
    assert any(r.msg == "mfa.disabled" and r.user_id == user.id for r in caplog.records)
    assert idp.services.audit_events.list(since=None, user_id=user.id, action="mfa.disabled", limit=5)


def test_totp_secret_is_encrypted_at_rest(idp, enrolled):
    user, secret, _ = enrolled
    stored = idp.services.mfa.totp.get(user.id).secret_encrypted
    assert secret.encode() not in stored and base64.b32decode(secret) not in stored
