"""Issue 34 C: sign-in refusals that tell the person what to do, and only once they proved the password.

* A disabled account is named as such only after its password was verified: the right password gets
  "This account is disabled" (403), a wrong one the generic error (401), as for any account
  (OWASP ASVS 2.2.1 / WSTG-IDNT-04: no account enumeration by a guess). Both on the hosted login
  page and on the way into the admin console, which signs in through that page.
* An administrator without a second factor is told so right after the first password, with the
  way to add one, instead of being sent through a step-up (OIDC Core 3.1.2.1 acr_values,
  prompt=login) that could only show the password form again and then refuse.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from ..admin_console_flows import make_admin
from ..conftest import Browser, hidden_fields

DISABLED = "This account is disabled"
GENERIC = "Incorrect email or password."


def audit_actions(idp, user_id: str) -> list[str]:
    return [event.action for event in idp.services.audit_events.list(user_id=user_id)]


def sign_in(idp, browser: Browser, start: str, email: str, password: str = "correct horse battery staple"):
    page = browser.go(idp.endpoint(start))
    assert 'name="password"' in page.text, page.text[:300]
    return browser.login(page, email, password)


@pytest.mark.parametrize("start", ["/login", "/admin"])
def test_a_disabled_account_with_the_right_password_is_told_it_is_disabled(idp, start):
    user = idp.create_user()
    idp.services.administrators.grant(user.id, granted_by="test")
    idp.services.users.set_disabled(user.id, True)
    browser = Browser(idp)
    page = sign_in(idp, browser, start, user.email)
    assert page.status_code == 403 and DISABLED in page.text and GENERIC not in page.text
    assert "login.refused_disabled" in audit_actions(idp, user.id)
    assert browser.go(idp.endpoint("/account")).final_url.startswith(idp.endpoint("/login"))  # no session


@pytest.mark.parametrize("start", ["/login", "/admin"])
def test_a_disabled_account_with_a_wrong_password_gets_the_generic_error(idp, start):
    user = idp.create_user()
    idp.services.users.set_disabled(user.id, True)
    page = sign_in(idp, Browser(idp), start, user.email, password="not the password at all")
    assert page.status_code == 401 and GENERIC in page.text and DISABLED not in page.text
    unknown = sign_in(idp, Browser(idp), start, "nobody-" + user.email, password="not the password at all")
    assert unknown.status_code == 401 and unknown.text.count(GENERIC) == page.text.count(GENERIC)
    assert "login.failed" in audit_actions(idp, user.id)
    assert "login.refused_disabled" not in audit_actions(idp, user.id)


def test_the_disabled_message_is_french_for_a_french_browser(idp):
    user = idp.create_user()
    idp.services.users.set_disabled(user.id, True)
    browser = Browser(idp)
    browser.http.headers["Accept-Language"] = "fr"
    page = sign_in(idp, browser, "/login", user.email)
    assert page.status_code == 403 and "Ce compte est désactivé" in page.text


def test_an_administrator_without_a_second_factor_is_told_after_the_first_password(idp):
    admin, _ = make_admin(idp, mfa=False)
    browser = Browser(idp)
    page = sign_in(idp, browser, "/admin", admin.email)  # Browser follows the IdP's redirects to the callback
    assert page.status_code == 403, page.text[:500]
    assert urlsplit(page.final_url).path == "/admin/callback"
    assert "second factor" in page.text and 'name="password"' not in page.text  # not the same form twice
    assert 'href="/account/mfa"' in page.text  # the way to add one
    actions = audit_actions(idp, admin.id)
    assert "admin.refused" in actions and "admin.step_up" not in actions
    assert browser.go(idp.endpoint("/account/mfa")).status_code == 200  # and it is open to them now


def test_an_administrator_with_a_second_factor_is_asked_for_it_after_the_password(idp):
    """The contrast: with TOTP enrolled the sign-in goes on to the code, and nothing is refused."""
    admin, _ = make_admin(idp, mfa=True)
    page = sign_in(idp, Browser(idp), "/admin", admin.email)
    assert 'name="code"' in page.text and "admin.refused" not in audit_actions(idp, admin.id)
    assert hidden_fields(page.text).get("csrf_token")
