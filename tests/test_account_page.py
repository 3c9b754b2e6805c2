"""The account page: active sessions (see, end one, end all others), change password, linked identities."""

from __future__ import annotations

import re

import requests

from .conftest import PASSWORD, Browser
from .flows import sign_in, submit


def handles(html: str) -> list[str]:
    return [h for h in re.findall(r'name="handle" value="([^"]+)"', html) if h != "others"]


def test_account_page_needs_a_session(idp):
    response = requests.get(idp.endpoint("/account"), allow_redirects=False, timeout=5)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_account_page_lists_sessions_without_showing_their_ids(idp, user):
    laptop, phone = Browser(idp), Browser(idp)
    sign_in(laptop, user.email)
    phone.http.headers["User-Agent"] = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Version/17.0 Mobile Safari/604.1"
    sign_in(phone, user.email)
    page = laptop.go(idp.endpoint("/account"))
    assert "This browser" in page.text and "Safari on iPhone" in page.text
    assert len(handles(page.text)) == 1  # the other session can be ended; this one signs out normally
    for sid in idp.services.store.smembers(f"user-sessions:{user.id}"):
        assert sid not in page.text
    assert "Linked accounts" not in page.text  # no upstream provider configured: not offered (issue 34)


def test_ending_another_session_signs_that_browser_out(idp, user):
    laptop, phone = Browser(idp), Browser(idp)
    sign_in(laptop, user.email)
    sign_in(phone, user.email)
    page = laptop.go(idp.endpoint("/account"))
    done = submit(laptop, "/account/sessions/end", page, handle=handles(page.text)[0])
    assert "That session was signed out." in done.text
    assert "signed in as" not in phone.go(idp.endpoint("/")).text
    assert "signed in as" in laptop.go(idp.endpoint("/")).text


def test_sign_out_everywhere_else_keeps_this_browser(idp, user):
    browsers = [Browser(idp) for _ in range(3)]
    for browser in browsers:
        sign_in(browser, user.email)
    page = browsers[0].go(idp.endpoint("/account"))
    submit(browsers[0], "/account/sessions/end", page, handle="others")
    assert [("signed in as" in b.go(idp.endpoint("/")).text) for b in browsers] == [True, False, False]
    assert len(idp.services.sessions.list(user.id)) == 1


def test_ending_a_session_needs_the_csrf_token(idp, user):
    laptop, phone = Browser(idp), Browser(idp)
    sign_in(laptop, user.email)
    sign_in(phone, user.email)
    handle = handles(laptop.go(idp.endpoint("/account")).text)[0]
    refused = laptop.go(idp.endpoint("/account/sessions/end"), "POST", {"handle": handle})
    assert refused.status_code == 400
    assert "signed in as" in phone.go(idp.endpoint("/")).text


def test_change_password_needs_the_current_one_and_ends_other_sessions(idp, user, mailbox):
    here, elsewhere = Browser(idp), Browser(idp)
    sign_in(here, user.email)
    sign_in(elsewhere, user.email)
    wrong = submit(here, "/account/password", current_password="nope nope nope", password="a fresh long passphrase")
    assert wrong.status_code == 400 and "current password is not correct" in wrong.text
    weak = submit(here, "/account/password", current_password=PASSWORD, password="password1234")
    assert weak.status_code == 400 and "too common" in weak.text
    done = submit(here, "/account/password", current_password=PASSWORD, password="a fresh long passphrase")
    assert "Your password was changed" in done.text
    assert "signed in as" in here.go(idp.endpoint("/")).text
    assert "signed in as" not in elsewhere.go(idp.endpoint("/")).text
    assert "signed in as" in sign_in(Browser(idp), user.email, "a fresh long passphrase").text
    assert mailbox.wait_for(user.email, "password was changed")


def test_sign_out_from_the_account_page_removes_the_session_from_the_index(idp, user):
    browser = Browser(idp)
    sign_in(browser, user.email)
    page = browser.go(idp.endpoint("/account"))
    submit(browser, "/logout", page)
    assert idp.services.sessions.list(user.id) == []
    assert idp.services.store.smembers(f"user-sessions:{user.id}") == set()


def test_new_browser_sign_in_sends_a_notice_once(idp, mailbox, user):
    browser = Browser(idp)
    sign_in(browser, user.email)
    assert mailbox.wait_for(user.email, "new sign-in")
    browser.go(idp.endpoint("/logout"))
    submit(browser, "/logout")
    sign_in(browser, user.email)  # the same browser again: it keeps its device cookie
    import time

    time.sleep(0.5)
    assert len([m for m in mailbox.to(user.email) if "New sign-in" in m["Subject"]]) == 1
