"""Issue 30 part 9: a password alone must not reach the phishing-resistant level.

NIST SP 800-63B 6.1.2.1 and OWASP ASVS V2.7: binding an authenticator to an account that already
has a second factor or a passkey needs a sign-in at that level in this session (else a step-up
with the existing factor); the same for TOTP, recovery codes and removals; an authenticator bound
in a session never raises that session's acr; the owner is mailed about every change, from every
surface (account pages, admin console, admin API, CLI). End to end on both backends."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pyotp

from idp.accounts.authenticators import NEEDS_STEP_UP, STALE_SIGN_IN
from idp.accounts.mfa import ACR_PASSWORD, ACR_PHISHING_RESISTANT

from ..admin_api import admin_session
from ..admin_console_flows import console, post_form  # noqa: F401
from ..conftest import PASSWORD, Browser, hidden_fields
from ..flows import enrol_totp, next_code, sign_in, submit
from ..passkey_flows import add_passkey, authenticator, passkey_sign_in, pk_idp, stored_passkey  # noqa: F401
from ..passkey_flows import user_with_passkey
from ..soft_authenticator import page_ceremony
from ..test_passkeys_claims import CodeFlow, confidential_client


def audit(idp, action, user_id):
    return idp.services.audit_events.list(action=action, user_id=user_id)


def mails(mailbox, user, subject):
    return [m for m in mailbox.to(user.email) if subject.lower() in str(m["Subject"]).lower()]


def count_mails(mailbox, user, subject, expected: int, timeout: float = 10.0) -> int:
    """How many such mails arrived, waiting (up to `timeout`) for `expected`: the outbox sends them
    from its own thread, after the request that queued them answered."""
    deadline = time.monotonic() + timeout
    while len(found := mails(mailbox, user, subject)) < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    return len(found)


def test_phished_password_cannot_bind_a_passkey_nor_reach_acr_phr_nist_800_63b_6_1_2_1(pk_idp):
    owner_device, attacker_device = authenticator(pk_idp), authenticator(pk_idp)
    user = user_with_passkey(pk_idp, owner_device)
    attacker = Browser(pk_idp)
    sign_in(attacker, user.email)  # the phished password: no second factor asked on the account page
    page = attacker.go(pk_idp.endpoint("/account/passkeys"))
    assert 'id="passkey-add"' not in page.text and "Confirm it is you with your passkey" in page.text
    assert "/account/step-up?next=/account/passkeys" in page.text
    # a registration ceremony obtained anyway (the service makes one for anybody's page) is refused
    ceremony = pk_idp.services.passkeys.begin_registration(user)
    credential = attacker_device.create(json.loads(ceremony.options))
    csrf = hidden_fields(attacker.go(pk_idp.endpoint("/account")).text)["csrf_token"]
    refused = attacker.go(pk_idp.endpoint("/account/passkeys/add"), "POST",
                          {"csrf_token": csrf, "ceremony": ceremony.id, "credential": credential, "name": "Mine"})
    assert "Confirm it is you" in refused.text and len(pk_idp.services.passkeys.for_user(user.id)) == 1
    assert audit(pk_idp, "passkey.add_failed", user.id)[0].details["reason"] == NEEDS_STEP_UP
    # the relying party asks for a phishing-resistant sign-in: the passkey step offers only the
    # owner's passkey (no creation), and the attacker's own authenticator is not accepted
    flow = CodeFlow(pk_idp, confidential_client(pk_idp), {"acr_values": ACR_PHISHING_RESISTANT})
    step = attacker.go(flow.url)
    assert step.final_url.startswith(pk_idp.endpoint("/login/passkey-step")) and "Create a passkey" not in step.text, (
        step.final_url, step.text[:3000])
    options, fields = page_ceremony(step.text, "passkey-step")
    fields["credential"] = attacker_device.get(options, credential=attacker_device.credentials[0])
    answer = attacker.go(pk_idp.endpoint("/login/passkey-step"), "POST", fields)
    assert "code=" not in answer.final_url and "not registered here" in answer.text
    register = attacker.go(pk_idp.endpoint("/login/passkey-step"), "POST",
                           {**fields, "action": "register", "ceremony": pk_idp.services.passkeys.begin_registration(
                               user).id, "credential": credential})
    assert "code=" not in register.final_url and len(pk_idp.services.passkeys.for_user(user.id)) == 1


def test_a_passkey_added_in_a_password_session_does_not_raise_it_to_phr(pk_idp, mailbox):
    """An account with a password only may add its first passkey (as before), and is mailed; the
    session stays at the password level: the passkey step refuses the new passkey."""
    user, device = pk_idp.create_user(), authenticator(pk_idp)
    browser = Browser(pk_idp)
    sign_in(browser, user.email)
    assert "Your passkey is ready" in add_passkey(browser, device).text
    added = mailbox.wait_for(user.email, "A passkey was added")
    assert "passkey" in added.get_content() and device.credentials[0].credential_id.hex() not in added.get_content()
    flow = CodeFlow(pk_idp, confidential_client(pk_idp), {"acr_values": ACR_PHISHING_RESISTANT})
    step = browser.go(flow.url)
    assert "Sign in with it to continue" in step.text and 'id="passkey-step"' not in step.text
    ceremony = pk_idp.services.passkeys.begin_authentication("step-up", user.id)  # a crafted "use" answer
    csrf = hidden_fields(browser.go(pk_idp.endpoint("/account")).text)["csrf_token"]
    interaction = flow_interaction(step)
    answer = browser.go(pk_idp.endpoint("/login/passkey-step"), "POST", {
        "csrf_token": csrf, "interaction": interaction, "action": "use", "ceremony": ceremony.id,
        "credential": device.get(json.loads(ceremony.options))})
    assert "code=" not in answer.final_url and "added since you signed in" in answer.text
    assert audit(pk_idp, "passkey.step_failed", user.id)[0].details["reason"] == "bound_here"
    # the session still says how it began: a plain request gets acr password, amr pwd
    plain = CodeFlow(pk_idp, confidential_client(pk_idp), {})
    claims = plain.id_token_claims(browser, browser.go(plain.url))
    assert claims["acr"] == ACR_PASSWORD and claims["amr"] == ["pwd"]


def flow_interaction(page) -> str:
    return page.final_url.split("interaction=", 1)[1].split("&", 1)[0]


def test_step_up_with_the_existing_passkey_then_binding_is_allowed_and_mailed_asvs_v2_7(pk_idp, mailbox):
    device = authenticator(pk_idp)
    user = user_with_passkey(pk_idp, device)
    browser = Browser(pk_idp)
    sign_in(browser, user.email)
    step_up = browser.go(pk_idp.endpoint("/account/step-up?next=/account/passkeys"))
    assert 'id="code-step-up"' not in step_up.text  # no TOTP on this account
    done, _ = passkey_sign_in(browser, device, start=step_up, form_id="passkey-step-up", action="/account/step-up")
    assert done.final_url.endswith("/account/passkeys") and 'id="passkey-add"' in done.text
    assert audit(pk_idp, "login.stepped_up", user.id)[0].details["amr"] == ["pwd", "hwk", "user", "mfa"]
    second = authenticator(pk_idp)
    assert "Your passkey is ready" in add_passkey(browser, second, name="Spare").text
    assert count_mails(mailbox, user, "A passkey was added", 2) == 2  # the first (user_with_passkey) and this one
    # removing one needs the same level: this session has it
    target = pk_idp.services.passkeys.for_user(user.id)[0]
    csrf = page_ceremony(browser.go(pk_idp.endpoint("/account/passkeys")).text, "passkey-add")[1]["csrf_token"]
    removed = browser.go(pk_idp.endpoint("/account/passkeys/remove"), "POST", {"csrf_token": csrf,
                                                                               "passkey": target.id})
    assert "The passkey was removed" in removed.text
    mailbox.wait_for(user.email, "A passkey was removed")


def test_a_passkey_created_in_this_session_cannot_be_the_step_up(pk_idp):
    """Password-only account: first passkey added (allowed); the step-up page does not accept it,
    so a second authenticator cannot be chained on the strength of the password alone."""
    user, device = pk_idp.create_user(), authenticator(pk_idp)
    browser = Browser(pk_idp)
    sign_in(browser, user.email)
    add_passkey(browser, device)
    page = browser.go(pk_idp.endpoint("/account/step-up?next=/account/mfa"))
    assert 'id="passkey-step-up"' not in page.text and 'id="sign-in-again"' in page.text
    mfa = browser.go(pk_idp.endpoint("/account/mfa"))
    assert 'id="totp-secret"' not in mfa.text and 'id="step-up-needed"' in mfa.text
    csrf = hidden_fields(browser.go(pk_idp.endpoint("/account")).text)["csrf_token"]
    posted = browser.go(pk_idp.endpoint("/account/mfa"), "POST", {"csrf_token": csrf, "code": "123456",
                                                                  "password": "x", "action": "enrol"})
    assert 'id="step-up-needed"' in posted.text and not pk_idp.services.mfa.is_enrolled(user.id)


def test_removing_a_passkey_from_a_password_session_is_refused(pk_idp):
    device = authenticator(pk_idp)
    user = user_with_passkey(pk_idp, device)
    browser = Browser(pk_idp)
    sign_in(browser, user.email)
    target = pk_idp.services.passkeys.for_user(user.id)[0]
    csrf = hidden_fields(browser.go(pk_idp.endpoint("/account")).text)["csrf_token"]
    refused = browser.go(pk_idp.endpoint("/account/passkeys/remove"), "POST",
                         {"csrf_token": csrf, "passkey": target.id, "confirm": "yes"})
    assert "Confirm it is you" in refused.text and len(pk_idp.services.passkeys.for_user(user.id)) == 1


def test_totp_step_up_and_recovery_codes_regenerated_are_mailed_without_the_codes(pk_idp, mailbox):
    device = authenticator(pk_idp)
    user = user_with_passkey(pk_idp, device)
    browser = Browser(pk_idp)
    passkey_sign_in(browser, device)  # TOTP next to a passkey: a sign-in that used the passkey
    secret, _ = enrol_totp(browser)
    enabled = mailbox.wait_for(user.email, "Two-step verification was turned on")
    assert secret not in enabled.get_content().replace(" ", "")
    # a later password sign-in (with TOTP) may regenerate the codes; the mail does not carry them
    browser = Browser(pk_idp)
    submit(browser, "/login/mfa", sign_in(browser, user.email), code=next_code(secret))
    page = browser.go(pk_idp.endpoint("/account/mfa"))
    done = submit(browser, "/account/mfa", page, password=PASSWORD, action="recovery")
    codes = [c for c in done.text.split("<code>")[1:]]
    assert codes, done.text[:2000]
    regenerated = mailbox.wait_for(user.email, "New recovery codes")
    assert not any(code.split("</code>")[0] in regenerated.get_content() for code in codes)


def test_totp_step_up_with_a_code_counts_wrong_codes(pk_idp):
    """The step-up page takes the account's (older) TOTP; a wrong one is refused and audited."""
    device = authenticator(pk_idp)
    user = user_with_passkey(pk_idp, device)
    secret = pyotp.random_base32()
    assert pk_idp.services.mfa.enrol(user.id, secret, pyotp.TOTP(secret).at(time.time() - 30)) is not None
    time.sleep(1.1)  # the TOTP must predate the session (second resolution)
    browser = Browser(pk_idp)
    passkey_sign_in(browser, device)
    page = browser.go(pk_idp.endpoint("/account/step-up?next=/account/mfa"))
    wrong = submit(browser, "/account/step-up", page, action="code", code="000000", next="/account/mfa")
    assert wrong.status_code == 401 and audit(pk_idp, "account.step_up_failed", user.id)
    good = submit(browser, "/account/step-up", page, action="code", code=pyotp.TOTP(secret).now(),
                  next="/account/mfa")
    assert good.final_url.endswith("/account/mfa") and "otp" in audit(pk_idp, "login.stepped_up", user.id)[0].details["amr"]


def test_the_rule_in_the_service_stale_and_missing_factor(pk_idp):
    rule = pk_idp.services.authenticators
    user = pk_idp.create_user()
    now = int(time.time())
    assert rule.change_refusal(user.id, ["pwd"], now) is None  # a password-only account: its first factor
    assert rule.change_refusal(user.id, ["pwd"], now - 3600) == STALE_SIGN_IN
    stored_passkey(pk_idp, user.id)
    assert rule.change_refusal(user.id, ["pwd"], now) == NEEDS_STEP_UP
    assert rule.change_refusal(user.id, ["pwd", "otp"], now) == NEEDS_STEP_UP  # no TOTP on this account
    assert rule.change_refusal(user.id, ["swk", "user"], now) is None
    assert rule.change_refusal(user.id, ["fed"], now) == NEEDS_STEP_UP


def test_an_administrator_removing_passkeys_mails_the_owner_from_every_surface(pk_idp, mailbox):
    subject = "An administrator removed the passkeys"
    # CLI
    user = pk_idp.create_user()
    stored_passkey(pk_idp, user.id)
    result = subprocess.run([sys.executable, "-m", "idp.cli", "users", "remove-passkeys", "--email", user.email],
                            env=pk_idp.cli_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    pk_idp.services.mailer.deliver_due(ignore_backoff=True)  # the command queued it in the outbox and exited
    mailbox.wait_for(user.email, subject)
    # admin API
    user = pk_idp.create_user()
    stored_passkey(pk_idp, user.id)
    assert admin_session(pk_idp).delete(f"/users/{user.id}/passkeys").status_code == 204
    mailbox.wait_for(user.email, subject)
    # nothing removed, nothing said
    user = pk_idp.create_user()
    assert admin_session(pk_idp).delete(f"/users/{user.id}/passkeys").status_code == 204
    time.sleep(0.5)
    assert mails(mailbox, user, subject) == []


def test_the_admin_console_and_api_removing_passkeys_and_second_factors_mail_the_owner(idp, console, mailbox):  # noqa: F811
    browser, _ = console
    target = idp.create_user()
    stored_passkey(idp, target.id)
    page = browser.go(idp.endpoint(f"/admin/users/{target.id}"))
    asked = post_form(browser, f"/admin/users/{target.id}/passkeys/remove", page)
    assert browser.go(idp.endpoint(f"/admin/users/{target.id}/passkeys/remove"), "POST",
                      hidden_fields(asked.text)).status_code == 200
    mailbox.wait_for(target.email, "An administrator removed the passkeys")
    secret = pyotp.random_base32()
    assert idp.services.mfa.enrol(target.id, secret, pyotp.TOTP(secret).now()) is not None
    api = admin_session(idp)
    etag = api.get(f"/users/{target.id}/second-factors").headers["ETag"]
    assert api.delete(f"/users/{target.id}/second-factors", headers={"If-Match": etag}).status_code == 204
    mailbox.wait_for(target.email, "An administrator turned off two-step verification")
