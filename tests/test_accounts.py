"""Sign-up, email verification and password reset through the hosted pages, with the emails
received by a real SMTP server (aiosmtpd): single-use expiring links stored hashed, answers that
do not reveal which emails have accounts, and a reset that ends every session and refresh token."""

from __future__ import annotations

import re

import requests
from sqlalchemy import select

from idp.plumbing.security import token_hash
from idp.store.models import AccountToken

from .conftest import PASSWORD, Browser, callback_params, mail_link
from .flows import new_email, sign_in, sign_up, signed_up_user, submit, verify_from_mail
from .test_code_flow import relying_party


def test_sign_up_mails_a_link_and_the_account_is_unverified_until_it_is_used(idp, mailbox):
    email, browser = new_email(), Browser(idp)
    done = sign_up(browser, email)
    assert done.status_code == 200 and "Check your email" in done.text
    assert idp.services.users.by_email(email).email_verified is False

    refused = sign_in(Browser(idp), email)
    assert refused.status_code == 403 and "Confirm your email address first" in refused.text

    confirmed = verify_from_mail(browser, mailbox, email)
    assert confirmed.status_code == 200 and "Email address confirmed" in confirmed.text
    assert idp.services.users.by_email(email).email_verified is True
    assert "signed in as" in sign_in(Browser(idp), email).text


def test_sign_up_with_a_taken_email_looks_the_same_and_mails_the_owner_instead(idp, mailbox):
    user, _ = signed_up_user(idp, mailbox)
    again = sign_up(Browser(idp), user.email, password="another long passphrase here")
    fresh = sign_up(Browser(idp), new_email())
    assert again.status_code == fresh.status_code == 200
    strip = lambda html: re.sub(r'value="[^"]*"|\S+@example\.com', "", html)  # noqa: E731
    assert strip(again.text) == strip(fresh.text)
    assert mailbox.wait_for(user.email, "tried to create")
    assert idp.services.users.by_email(user.email).password_hash == user.password_hash


def test_sign_up_refuses_short_and_common_passwords_asvs_2_1_1_and_2_1_7(idp):
    browser = Browser(idp)
    short = sign_up(browser, new_email(), password="short pass")
    assert short.status_code == 400 and "at least 12 characters" in short.text
    common = sign_up(browser, new_email(), password="qwerty123456")
    assert common.status_code == 400 and "too common" in common.text
    assert 'aria-invalid="true"' in common.text and 'aria-describedby="password-hint password-error"' in common.text


def test_verification_link_works_once(idp, mailbox):
    email, browser = new_email(), Browser(idp)
    sign_up(browser, email)
    link = mail_link(mailbox.wait_for(email, "confirm"), "/verify-email")
    assert "Email address confirmed" in submit(browser, "/verify-email", browser.go(link)).text
    second = submit(browser, "/verify-email", browser.go(link))
    assert second.status_code == 400 and "no longer works" in second.text


def test_a_link_past_its_lifetime_is_refused(idp):
    user = idp.create_user()
    idp.services.accounts.links.add("expired-verify-token", user.id, "verify_email", ttl=-1)
    idp.services.accounts.links.add("expired-reset-token", user.id, "reset_password", ttl=-1)
    browser = Browser(idp)
    verify = submit(browser, "/verify-email", "/verify-email?token=expired-verify-token")
    assert verify.status_code == 400 and "no longer works" in verify.text
    assert browser.go(idp.endpoint("/reset-password?token=expired-reset-token")).status_code == 400


def test_links_are_stored_only_as_their_hash(idp, mailbox):
    email = new_email()
    sign_up(Browser(idp), email)
    token = mail_link(mailbox.wait_for(email, "confirm"), "/verify-email").split("token=")[1].split("&")[0]
    with idp.services.db.session() as session:
        hashes = set(session.scalars(select(AccountToken.token_hash)).all())
    assert token_hash(token) in hashes and token not in hashes


def test_reset_request_answers_the_same_whether_or_not_the_account_exists(idp, mailbox):
    user = idp.create_user()
    known = submit(Browser(idp), "/forgot-password", email=user.email)
    unknown = submit(Browser(idp), "/forgot-password", email="nobody-at-all@example.com")
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace(user.email, "X") == unknown.text.replace("nobody-at-all@example.com", "X")
    assert mailbox.wait_for(user.email, "reset")
    assert not mailbox.to("nobody-at-all@example.com")


def test_reset_link_is_built_from_the_issuer_not_the_host_header(idp, mailbox):
    user = idp.create_user()
    page = requests.get(idp.endpoint("/forgot-password"), timeout=5)
    fields = {"csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1),
              "email": user.email}
    cookie = "; ".join(f"{name}={value}" for name, value in page.cookies.items())  # requests matches jars by Host
    sent = requests.post(idp.endpoint("/forgot-password"), data=fields, timeout=5,
                         headers={"Host": "evil.example", "Cookie": cookie})
    assert sent.status_code == 200
    link = mail_link(mailbox.wait_for(user.email, "reset"), "/reset-password")
    assert link.startswith(idp.services.config.issuer + "/reset-password?token=")


def test_reset_ends_every_session_and_refresh_token_family_rfc9700_4_14(idp, mailbox, browser, client):
    user, other_browser = signed_up_user(idp, mailbox)
    rp, meta = relying_party(idp, client)
    url, _ = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier="v" * 48)
    params = callback_params(browser.authorize(url, user.email))
    token = rp.fetch_token(meta["token_endpoint"], code=params["code"], code_verifier="v" * 48)
    assert token["refresh_token"]
    sign_in(other_browser, user.email)
    assert "signed in as" in other_browser.go(idp.endpoint("/")).text
    assert len(idp.services.sessions.list(user.id)) == 2

    submit(Browser(idp), "/forgot-password", email=user.email)
    link = mail_link(mailbox.wait_for(user.email, "reset"), "/reset-password")
    reset_browser = Browser(idp)
    done = submit(reset_browser, "/reset-password", reset_browser.go(link), password="a brand new passphrase")
    assert done.status_code == 200 and "Password changed" in done.text

    assert idp.services.sessions.list(user.id) == []
    assert "signed in as" not in browser.go(idp.endpoint("/")).text
    assert "signed in as" not in other_browser.go(idp.endpoint("/")).text
    refreshed = requests.post(meta["token_endpoint"], auth=(client.client_id, client.client_metadata["secret"]),
                              data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}, timeout=5)
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    introspected = requests.post(meta["introspection_endpoint"], timeout=5,
                                 auth=(client.client_id, client.client_metadata["secret"]),
                                 data={"token": token["access_token"]}).json()
    assert introspected["active"] is False

    reused = reset_browser.go(link)
    assert reused.status_code == 400 and "no longer works" in reused.text
    assert sign_in(Browser(idp), user.email, PASSWORD).status_code == 401
    assert "signed in as" in sign_in(Browser(idp), user.email, "a brand new passphrase").text
    assert mailbox.wait_for(user.email, "password was changed")


def test_registration_can_be_turned_off(tmp_path_factory):
    from .conftest import start_idp

    live, stop = start_idp("embedded", tmp_path_factory, allow_registration=False)
    try:
        assert requests.get(live.endpoint("/register"), timeout=5).status_code == 404
        assert "Create an account" not in requests.get(live.endpoint("/login"), timeout=5).text
    finally:
        stop()
