"""Passkeys (WebAuthn Level 3) through the hosted pages, with crafted authenticator responses:
registration (L3 7.1) from the account page and at sign-up, authentication (L3 7.2) without a
password, removal, the administrator's command, replicas, and every refusal a page must explain
(and audit) rather than fail on. The ID token's amr/acr: test_passkeys_claims.py."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from .admin_api import admin_session
from .conftest import Browser, free_port, hidden_fields, serve
from .flows import sign_in, submit
from .passkey_flows import add_passkey, authenticator, passkey_sign_in, pk_idp, user_with_passkey  # noqa: F401
from .soft_authenticator import page_ceremony


def events(idp, action, user_id=None):
    return [e for e in idp.services.audit_events.list(action=action, user_id=user_id)]


def test_a_synced_passkey_is_a_software_key_and_shows_as_synced_rfc8176_swk(pk_idp):
    device = authenticator(pk_idp, backup_eligible=True, counter=False)
    user = user_with_passkey(pk_idp, device)
    browser = Browser(pk_idp)
    passkey_sign_in(browser, device)
    assert browser.go(pk_idp.endpoint("/account")).final_url.endswith("/account")
    assert passkey_sign_in(Browser(pk_idp), device)[0].final_url.endswith("/account")  # counter 0 twice is fine
    page = browser.go(pk_idp.endpoint("/account/passkeys"))
    assert "Synced" in page.text and "Laptop" in page.text
    assert events(pk_idp, "login.succeeded", user.id)[0].details["amr"] == ["swk", "user"]


def test_the_login_page_offers_passkey_autofill_in_the_email_field(pk_idp):
    page = Browser(pk_idp).go(pk_idp.endpoint("/login"))
    assert 'autocomplete="username webauthn"' in page.text and 'data-conditional="1"' in page.text
    options, _ = page_ceremony(page.text, "passkey-sign-in")
    assert options["rpId"] == "localhost" and options["userVerification"] == "required"
    assert options["allowCredentials"] == []  # discoverable credentials: the account is not named first
    assert 'src="/static/passkeys.js" nonce="' in page.text and 'nonce=""' not in page.text


def test_a_replayed_assertion_is_refused_with_a_message_and_an_audit_event_l3_13_4_3(pk_idp):
    device = authenticator(pk_idp)
    user = user_with_passkey(pk_idp, device)
    first = Browser(pk_idp)
    done, fields = passkey_sign_in(first, device)
    assert done.final_url.endswith("/account")
    thief = Browser(pk_idp)
    thief.go(pk_idp.endpoint("/login"))
    fields["csrf_token"] = page_ceremony(thief.go(pk_idp.endpoint("/login")).text, "passkey-sign-in")[1]["csrf_token"]
    replay = thief.go(pk_idp.endpoint("/login/passkey"), "POST", fields)
    assert replay.status_code == 200 and "expired or was already used" in replay.text
    assert "signed in as" not in thief.go(pk_idp.endpoint("/account")).text
    assert any(e.details.get("reason") == "expired" for e in events(pk_idp, "login.passkey_failed"))


def test_an_answer_made_for_another_origin_is_refused_l3_7_2_step_13(pk_idp):
    device = authenticator(pk_idp)
    user = user_with_passkey(pk_idp, device)
    browser = Browser(pk_idp)
    refused, _ = passkey_sign_in(browser, device, origin="https://idp.example.evil")
    assert "made for another website address" in refused.text
    assert browser.go(pk_idp.endpoint("/account")).final_url.startswith(pk_idp.endpoint("/login"))
    wrong = [e for e in events(pk_idp, "login.passkey_failed") if e.details.get("reason") == "wrong_origin"]
    assert wrong and "idp.example.evil" in wrong[-1].details["detail"]
    assert user.id  # the credential itself stays valid:
    assert passkey_sign_in(Browser(pk_idp), device)[0].final_url.endswith("/account")


def test_an_unknown_credential_and_a_cancelled_ceremony_are_explained(pk_idp):
    stranger = authenticator(pk_idp)
    stranger.create({"rp": {"id": "localhost"}, "user": {"id": "AAAA"}, "challenge": "AAAA"})
    unknown, _ = passkey_sign_in(Browser(pk_idp), stranger)
    assert "not registered here" in unknown.text
    browser = Browser(pk_idp)
    page = browser.go(pk_idp.endpoint("/login"))
    _, fields = page_ceremony(page.text, "passkey-sign-in")
    cancelled = browser.go(pk_idp.endpoint("/login/passkey"), "POST", {**fields, "error": "NotAllowedError"})
    assert "cancelled or timed out" in cancelled.text
    reasons = {e.details.get("reason") for e in events(pk_idp, "login.passkey_failed")}
    assert {"unknown_credential", "cancelled"} <= reasons
    garbage = browser.go(pk_idp.endpoint("/login/passkey"), "POST", {**page_ceremony(
        browser.go(pk_idp.endpoint("/login")).text, "passkey-sign-in")[1], "credential": "{not json"})
    assert garbage.status_code == 200 and "could not be verified" in garbage.text


def test_a_counter_that_goes_back_is_refused_as_a_possible_clone_l3_6_1_1(pk_idp):
    device = authenticator(pk_idp)
    user = user_with_passkey(pk_idp, device)
    passkey_sign_in(Browser(pk_idp), device)
    passkey_sign_in(Browser(pk_idp), device)
    clone, _ = passkey_sign_in(Browser(pk_idp), device, sign_count=1)
    assert "may have been copied" in clone.text
    assert any(e.details.get("reason") == "counter" for e in events(pk_idp, "login.passkey_failed", user.id))


def test_adding_or_removing_needs_a_recent_sign_in_owasp_asvs_3_7_1(pk_idp):
    device = authenticator(pk_idp)
    user = user_with_passkey(pk_idp, device)
    strict, stop = replica_with(pk_idp, passkey_reauth_window=0)
    try:
        browser = Browser(strict)
        sign_in(browser, user.email)
        import time

        time.sleep(1.1)
        page = browser.go(strict.endpoint("/account/passkeys"))
        assert "sign in again before changing your passkeys" in page.text and 'id="passkey-add"' not in page.text
        assert "next=/account/passkeys" in page.text
        passkey = pk_idp.services.passkeys.for_user(user.id)[0]
        removed = browser.go(strict.endpoint("/account/passkeys/remove"), "POST",
                             {**page_ceremony_free_fields(browser.go(strict.endpoint("/account")).text),
                              "passkey": passkey.id})
        assert "sign in again" in removed.text and pk_idp.services.passkeys.for_user(user.id)
    finally:
        stop()


def page_ceremony_free_fields(page_html: str) -> dict:
    return {"csrf_token": hidden_fields(page_html)["csrf_token"]}


def test_removing_the_last_passkey_warns_first_and_the_only_way_in_is_kept(pk_idp):
    device = authenticator(pk_idp)
    user = pk_idp.create_user()
    browser = Browser(pk_idp)
    sign_in(browser, user.email)
    add_passkey(browser, device, name="One")
    passkey_sign_in(browser, device)  # a second passkey needs a sign-in with the first (NIST 800-63B 6.1.2.1)
    add_passkey(browser, device, name="Two")
    first, second = pk_idp.services.passkeys.for_user(user.id)
    page = browser.go(pk_idp.endpoint("/account/passkeys"))
    fields = page_ceremony_free_fields(page.text)
    assert browser.go(pk_idp.endpoint("/account/passkeys/remove"), "POST", {**fields, "passkey": first.id}
                      ).final_url.endswith("done=removed")
    warned = browser.go(pk_idp.endpoint("/account/passkeys/remove"), "POST", {**fields, "passkey": second.id})
    assert "This is your last passkey" in warned.text and len(pk_idp.services.passkeys.for_user(user.id)) == 1
    removed = browser.go(pk_idp.endpoint("/account/passkeys/remove"), "POST",
                         {**fields, "passkey": second.id, "confirm": "yes"})
    assert "The passkey was removed" in removed.text and len(pk_idp.services.passkeys.for_user(user.id)) == 0
    assert [e.details["remaining"] for e in events(pk_idp, "passkey.removed", user.id)] == [0, 1]



def test_the_only_way_to_sign_in_cannot_be_removed(pk_idp):
    """An account with no password and no linked provider keeps its last passkey."""
    device = authenticator(pk_idp)
    user = user_with_passkey(pk_idp, device)
    pk_idp.services.users.set_password_hash(user.id, None)
    browser = Browser(pk_idp)
    assert passkey_sign_in(browser, device)[0].final_url.endswith("/account")
    page = browser.go(pk_idp.endpoint("/account/passkeys"))
    passkey = pk_idp.services.passkeys.for_user(user.id)[0]
    refused = browser.go(pk_idp.endpoint("/account/passkeys/remove"), "POST",
                         {**page_ceremony_free_fields(page.text), "passkey": passkey.id, "confirm": "yes"})
    assert refused.status_code == 409 and "your only way to sign in" in refused.text
    assert len(pk_idp.services.passkeys.for_user(user.id)) == 1


def test_sign_in_again_returns_to_the_passkeys_page(pk_idp):
    user = pk_idp.create_user()
    browser = Browser(pk_idp)
    page = browser.go(pk_idp.endpoint("/login?next=/account/passkeys&login_hint=" + user.email))
    done = sign_in(browser, user.email, start=page)
    assert done.final_url.endswith("/account/passkeys") and 'id="passkey-add"' in done.text


def test_an_administrator_removes_a_users_passkeys_audited(pk_idp):
    device = authenticator(pk_idp)
    user = user_with_passkey(pk_idp, device)
    result = subprocess.run([sys.executable, "-m", "idp.cli", "users", "remove-passkeys", "--email", user.email],
                            env=pk_idp.cli_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "removed 1 passkey(s)" in result.stdout
    assert len(pk_idp.services.passkeys.for_user(user.id)) == 0
    assert events(pk_idp, "passkey.removed_by_admin", user.id)[0].details["count"] == 1
    refused, _ = passkey_sign_in(Browser(pk_idp), device)
    assert "not registered here" in refused.text
    # recovery still works: the password signs in
    assert "signed in as" in sign_in(Browser(pk_idp), user.email).text


def test_the_admin_api_removes_a_users_passkeys_like_the_command(pk_idp):
    device = authenticator(pk_idp)
    user = user_with_passkey(pk_idp, device)
    admin = admin_session(pk_idp)
    assert admin.delete(f"/users/{user.id}/passkeys").status_code == 204
    assert pk_idp.services.passkeys.for_user(user.id) == []
    [event] = events(pk_idp, "passkey.removed_by_admin", user.id)
    assert event.actor == f"client:{admin.client_id}" and event.details["count"] == 1
    refused, _ = passkey_sign_in(Browser(pk_idp), device)
    assert "not registered here" in refused.text


def test_french_passkey_pages(pk_idp):
    device = authenticator(pk_idp)
    user = user_with_passkey(pk_idp, device)
    browser = Browser(pk_idp)
    page = browser.go(pk_idp.endpoint("/login?lang=fr"))
    assert "Se connecter avec une clé d’accès" in page.text
    sign_in(browser, user.email)
    listing = browser.go(pk_idp.endpoint("/account/passkeys"))
    assert "Vos clés d’accès" in listing.text and "Ajouter une clé d’accès" in listing.text


def test_a_ceremony_started_on_one_replica_finishes_on_another(pk_idp):
    if pk_idp.backend != "postgres":
        pytest.skip("replicas share Redis; the embedded default is one process")
    device = authenticator(pk_idp)
    user = user_with_passkey(pk_idp, device)
    replica, stop = replica_with(pk_idp)
    try:
        browser = Browser(pk_idp)
        page = browser.go(pk_idp.endpoint("/login"))
        options, fields = page_ceremony(page.text, "passkey-sign-in")
        fields["credential"] = device.get(options)
        done = browser.http.post(replica.endpoint("/login/passkey"), data=fields, allow_redirects=False, timeout=10)
        assert done.status_code == 302 and done.headers["Location"].endswith("/account"), done.text[:500]
        assert events(pk_idp, "login.succeeded", user.id)
    finally:
        stop()


def test_every_passkey_message_has_a_french_translation():
    from idp.i18n import CATALOGUES
    from idp.web import passkey_pages, passkeys_account

    messages = {*passkey_pages.MESSAGES.values(), *passkeys_account.DONE.values(), passkeys_account.LAST_ONE,
                passkeys_account.ONLY_WAY}
    assert sorted(m for m in messages if m not in CATALOGUES["fr"]) == []


def test_failed_passkey_answers_count_towards_the_account_lock_owasp_asvs_2_2_1(pk_idp):
    """Forged signatures by a registered credential lock the account as wrong passwords do; a
    locked account cannot sign in with a good passkey either (until the lock passes)."""
    import json

    from .soft_authenticator import b64url, unb64url

    device = authenticator(pk_idp)
    user = user_with_passkey(pk_idp, device)
    for _ in range(pk_idp.services.config.max_login_attempts):
        browser = Browser(pk_idp)
        options, fields = page_ceremony(browser.go(pk_idp.endpoint("/login")).text, "passkey-sign-in")
        answer = json.loads(device.get(options))
        signature = bytearray(unb64url(answer["response"]["signature"]))
        signature[-1] ^= 1
        answer["response"]["signature"] = b64url(bytes(signature))
        refused = browser.go(pk_idp.endpoint("/login/passkey"), "POST", {**fields, "credential": json.dumps(answer)})
        assert "could not be verified" in refused.text
    assert pk_idp.services.lockout.locked_for(user.email)
    locked, _ = passkey_sign_in(Browser(pk_idp), device)
    assert "Too many failed attempts" in locked.text
    assert events(pk_idp, "login.locked", user.id) and events(pk_idp, "login.refused_locked", user.id)


def test_sign_up_with_a_passkey_instead_of_a_password_after_the_email_is_confirmed(pk_idp, mailbox):
    from .flows import new_email, verify_from_mail

    email = new_email()
    browser = Browser(pk_idp)
    start = browser.go(pk_idp.endpoint("/register"))
    assert "Use a passkey instead of a password" in start.text
    sent = submit(browser, "/register/passkey", name="Grace Hopper", email=email)
    assert "Check your email" in sent.text
    user = pk_idp.services.users.by_email(email)
    assert user.password_hash is None and not user.email_verified
    assert "Create the passkey" not in browser.go(pk_idp.endpoint("/register/passkey/create")).text  # not before
    page = verify_from_mail(browser, mailbox, email)
    assert page.final_url.startswith(pk_idp.endpoint("/register/passkey/create"))
    device = authenticator(pk_idp, backup_eligible=True)
    options, fields = page_ceremony(page.text, "passkey-sign-up")
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["user"]["name"] == email and options["attestation"] == "none"
    fields.update(credential=device.create(options), name="Phone")
    ready = browser.go(pk_idp.endpoint("/register/passkey/create"), "POST", fields)
    assert "Your passkey is ready" in ready.text
    done, _ = passkey_sign_in(Browser(pk_idp), device)
    assert done.final_url.endswith("/account") and email in done.text
    assert events(pk_idp, "passkey.added", user.id)[0].details["at_sign_up"] is True


def replica_with(idp, **settings):
    """Another instance over the same database and Redis, with some settings changed."""
    live, stop = serve(dataclasses.replace(idp.services.config, port=free_port(), **settings))
    return dataclasses.replace(live, url=idp.url.rsplit(":", 1)[0] + ":" + live.url.rsplit(":", 1)[1]), stop


def test_registration_refuses_another_origin_and_a_replayed_answer_l3_7_1(pk_idp):
    user = pk_idp.create_user()
    browser = Browser(pk_idp)
    sign_in(browser, user.email)
    device = authenticator(pk_idp)
    refused = add_passkey(browser, device, origin="https://phish.example")
    assert "made for another website address" in refused.text and pk_idp.services.passkeys.for_user(user.id) == []
    page = browser.go(pk_idp.endpoint("/account/passkeys"))
    options, fields = page_ceremony(page.text, "passkey-add")
    fields.update(credential=device.create(options), name="Key")
    assert "Your passkey is ready" in browser.go(pk_idp.endpoint("/account/passkeys/add"), "POST", fields).text
    # now a session that may add another (it used the passkey): the replay is refused as such
    passkey_sign_in(browser, device, credential=device.credentials[-1])
    fields["csrf_token"] = page_ceremony(browser.go(pk_idp.endpoint("/account/passkeys")).text, "passkey-add")[1][
        "csrf_token"]
    again = browser.go(pk_idp.endpoint("/account/passkeys/add"), "POST", fields)
    assert "expired or was already used" in again.text and len(pk_idp.services.passkeys.for_user(user.id)) == 1
    reasons = [e.details["reason"] for e in events(pk_idp, "passkey.add_failed", user.id)]
    assert sorted(reasons) == ["expired", "wrong_origin"]
    assert not pk_idp.services.lockout.locked_for(user.email)


def test_direct_attestation_admits_only_the_listed_models(pk_idp):
    strict, stop = replica_with(pk_idp, webauthn_attestation="direct",
                                webauthn_allowed_aaguids=("ee882879-721c-4913-9775-3dfcce97072a",))
    try:
        user = pk_idp.create_user()
        browser = Browser(strict)
        sign_in(browser, user.email)
        page = browser.go(strict.endpoint("/account/passkeys"))
        assert page_ceremony(page.text, "passkey-add")[0]["attestation"] == "direct"
        refused = add_passkey(browser, authenticator(pk_idp))  # "none" attestation: no proof of the model
        assert "not accepted here" in refused.text, events(pk_idp, "passkey.add_failed", user.id)[0].details
        assert pk_idp.services.passkeys.for_user(user.id) == []
    finally:
        stop()


def test_passkey_forms_need_the_csrf_token(pk_idp):
    for path in ("/login/passkey", "/login/mfa/passkey", "/account/passkeys/add", "/account/passkeys/remove",
                 "/register/passkey"):
        response = Browser(pk_idp).go(pk_idp.endpoint(path), "POST", {"ceremony": "x", "credential": "{}"})
        assert response.status_code == 400, path
