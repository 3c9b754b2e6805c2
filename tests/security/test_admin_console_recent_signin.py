"""Issue 30, 10: the admin console asks for a recent authentication on entry (OIDC Core 3.1.2.1
max_age, checked against auth_time as 3.1.3.7 item 13 says), and its authority is its own session
(its own cookie and lifetime), never the end-user session alone."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
import requests

from idp.config import Config, ConfigError
from idp.signin.sessions import COOKIE_NAME
from tests.conftest import Browser, hidden_fields, start_idp

MAX_AGE = 2


@pytest.fixture(scope="module", params=["postgres", "embedded"])
def strict(request, tmp_path_factory):
    live, stop = start_idp(request.param, tmp_path_factory, database_suffix="_console_age",
                           admin_console_max_age=MAX_AGE)
    yield live
    stop()


def administrator(idp):
    """(user, TOTP secret, recovery codes): enrolled a step in the past, so that a code of now is fresh."""
    user = idp.create_user()
    idp.services.administrators.grant(user.id, granted_by="test")
    secret = pyotp.random_base32()
    codes = idp.services.mfa.enrol(user.id, secret, pyotp.TOTP(secret).at(time.time() - 30))
    assert codes
    return user, secret, list(codes)


def second_factor(browser, page, code: str):
    assert 'name="code"' in page.text, page.text[:300]
    return browser.go(browser.idp.endpoint("/login/mfa"), "POST", {**hidden_fields(page.text), "code": code})


def test_the_console_asks_for_max_age_and_an_old_sign_in_must_authenticate_again_oidc_core_3_1_2_1(strict):
    user, secret, codes = administrator(strict)
    browser = Browser(strict)
    page = browser.login(browser.go(strict.endpoint("/login")), user.email)  # signed in to the IdP, for an app
    second_factor(browser, page, pyotp.TOTP(secret).now())
    assert user.email in browser.go(strict.endpoint("/")).text

    start = browser.http.get(strict.endpoint("/admin/login"), allow_redirects=False, timeout=10)
    assert parse_qs(urlsplit(start.headers["Location"]).query)["max_age"] == [str(MAX_AGE)]
    time.sleep(MAX_AGE + 1.5)
    page = browser.go(strict.endpoint("/admin"))
    assert 'name="password"' in page.text, (page.final_url, page.text[:300])  # asked again, not let in
    page = second_factor(browser, browser.login(page, user.email), codes[0])
    assert page.status_code == 200 and page.final_url == strict.endpoint("/admin"), page.text[:300]
    assert "Overview" in page.text


def test_the_console_session_is_its_own_cookie_and_the_end_user_session_alone_does_not_enter(strict):
    user, secret, _ = administrator(strict)
    browser = Browser(strict)
    page = browser.go(strict.endpoint("/admin"))
    page = second_factor(browser, browser.login(page, user.email), pyotp.TOTP(secret).now())
    assert page.final_url == strict.endpoint("/admin") and page.status_code == 200
    console = [c for c in browser.http.cookies if c.name == "idp_admin"]
    assert len(console) == 1 and console[0].path == "/admin" and console[0].has_nonstandard_attr("HttpOnly")

    # The end-user session's cookie alone (another tab's requests, a cookie lifted from the IdP's pages) is
    # not the console's authority.
    only_end_user = requests.Session()
    only_end_user.cookies.set(COOKIE_NAME, browser.http.cookies.get(COOKIE_NAME))
    response = only_end_user.get(strict.endpoint("/admin"), allow_redirects=False, timeout=10)
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/admin/login"

    # Signing out of the IdP ends the console too: the console session is bound to that sign-in.
    out = browser.go(strict.endpoint("/logout"))
    browser.go(strict.endpoint("/logout"), "POST", hidden_fields(out.text))
    again = browser.http.get(strict.endpoint("/admin"), allow_redirects=False, timeout=10)
    assert again.status_code == 302 and urlsplit(again.headers["Location"]).path == "/admin/login"


def test_leaving_the_console_forgets_its_session_server_side(strict):
    user, secret, _ = administrator(strict)
    browser = Browser(strict)
    page = browser.go(strict.endpoint("/admin"))
    page = second_factor(browser, browser.login(page, user.email), pyotp.TOTP(secret).now())
    handle = browser.http.cookies.get("idp_admin")
    browser.go(strict.endpoint("/admin/logout"), "POST", {"csrf_token": hidden_fields(page.text)["csrf_token"]})
    replay = requests.Session()
    replay.cookies.update(browser.http.cookies)
    replay.cookies.set("idp_admin", handle, path="/admin")  # the old cookie kept by someone
    response = replay.get(strict.endpoint("/admin"), allow_redirects=False, timeout=10)
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/admin/login"


def test_an_id_token_without_a_recent_auth_time_is_refused_oidc_core_3_1_3_7_item_13(strict):
    from idp.admin.console.signin import recent

    with strict.app.app_context():
        now = int(time.time())
        assert recent(now) and recent(now - MAX_AGE)
        assert not recent(None) and not recent(str(now)) and not recent(float(now)) and not recent(True)
        assert not recent(now - MAX_AGE - 3600) and not recent(now + 3600)


@pytest.mark.parametrize("setting", [{"admin_console_max_age": 7200}, {"admin_console_session_ttl": 30},
                                     {"admin_console_session_ttl": 86400}])
def test_console_recency_settings_are_bounded(setting):
    with pytest.raises(ConfigError, match="ADMIN_CONSOLE"):
        Config(**setting).validate()


def test_console_recency_settings_are_read_from_the_environment():
    config = Config.from_env({"ADMIN_CONSOLE_MAX_AGE": "2m", "ADMIN_CONSOLE_SESSION_EXPIRES": "30m"})
    assert (config.admin_console_max_age, config.admin_console_session_ttl) == (120, 1800)
