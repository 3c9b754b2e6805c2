"""French and English (Accept-Language, a switch that sticks), complete catalogues, accessible
markup, and rebranding from configuration alone (BRAND_NAME, BRAND_LOGO_URL, BRAND_PRIMARY_COLOR)."""

from __future__ import annotations

import glob
import os
import re

import pytest
import requests

from idp.config import Config, ConfigError
from idp.i18n import CATALOGUES

FR = CATALOGUES["fr"]  # every area's catalogue, merged

from .conftest import start_idp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = ["/login", "/register", "/forgot-password", "/", "/logout", "/reset-password?token=x",
         "/verify-email?token=x"]
MESSAGE = re.compile(r"""(?<![\w.])_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


def used_messages() -> set[str]:
    """Every literal passed to _() in templates and code, plus the constants passed by name."""
    from idp.accounts import passwords
    from idp.admin.console import webhooks
    from idp.events.types import EVENT_TYPES
    from idp.plumbing import ratelimit
    from idp.web import consent, login, login_mfa, register

    found = set()
    files = glob.glob(os.path.join(ROOT, "templates", "**", "*.*"), recursive=True)
    files += glob.glob(os.path.join(ROOT, "idp", "**", "*.py"), recursive=True)
    for path in files:
        if path.endswith((".html", ".txt", ".py")):
            with open(path, encoding="utf-8") as handle:
                found |= {a or b for a, b in MESSAGE.findall(handle.read())}
    found |= {passwords.TOO_SHORT, passwords.TOO_LONG, passwords.TOO_COMMON, passwords.SAME_AS_EMAIL,
              login.GENERIC_ERROR, login.LOCKED_ERROR, login.UNVERIFIED_ERROR, login_mfa.WRONG_CODE,
              ratelimit.TOO_MANY, *consent.SCOPE_DESCRIPTIONS.values(), *register.FIELD_ERRORS.values(),
              webhooks.DELETE_QUESTION, webhooks.ROTATE_QUESTION, webhooks.NOT_DONE, *EVENT_TYPES.values()}
    return found


def test_every_message_has_a_french_translation_with_the_same_placeholders():
    messages = used_messages()
    assert len(messages) > 100
    missing = sorted(m for m in messages if m not in FR)
    assert missing == []
    placeholders = lambda text: sorted(re.findall(r"%\((\w+)\)s", text))  # noqa: E731
    for english, french in FR.items():
        assert placeholders(english) == placeholders(french), english


@pytest.mark.parametrize("path", PAGES)
def test_pages_follow_accept_language(idp, path):
    french = requests.get(idp.endpoint(path), headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}, timeout=5)
    english = requests.get(idp.endpoint(path), headers={"Accept-Language": "en-GB,en;q=0.8"}, timeout=5)
    assert '<html lang="fr">' in french.text and '<html lang="en">' in english.text
    assert "Sécurisé par" in french.text and "Secured by" in english.text
    assert "Accept-Language" in french.headers["Vary"]


def test_the_language_switch_sticks_with_a_cookie(idp):
    http = requests.Session()
    page = http.get(idp.endpoint("/login?lang=fr"), headers={"Accept-Language": "en"}, timeout=5)
    assert "Se connecter" in page.text and 'hreflang="en"' in page.text
    later = http.get(idp.endpoint("/forgot-password"), headers={"Accept-Language": "en"}, timeout=5)
    assert "Réinitialiser votre mot de passe" in later.text
    assert "Sign in" in http.get(idp.endpoint("/login?lang=en"), timeout=5).text


def test_the_switch_keeps_the_sign_in_request(idp):
    page = requests.get(idp.endpoint("/login"), params={"interaction": "abc"}, timeout=5)
    assert "/login?interaction=abc&amp;lang=fr" in page.text


def test_labels_are_tied_to_inputs_and_errors_announced_wcag_1_3_1(idp):
    from .conftest import Browser
    from .flows import sign_in

    page = requests.get(idp.endpoint("/register"), timeout=5).text
    for input_id in re.findall(r'<input id="([^"]+)" name="[^"]+" type="(?:text|email|password)"', page):
        assert f'<label for="{input_id}">' in page
    error = sign_in(Browser(idp), "someone@example.com", "wrong password!")
    assert 'role="alert" id="login-error"' in error.text and 'aria-describedby="login-error"' in error.text


def test_brand_css_carries_the_configured_colour(idp):
    css = requests.get(idp.endpoint("/brand.css"), timeout=5)
    assert css.headers["Content-Type"].startswith("text/css")
    assert "--primary: #2457d6;" in css.text and "--on-primary: #ffffff;" in css.text
    again = requests.get(idp.endpoint("/brand.css"), headers={"If-None-Match": css.headers["ETag"]}, timeout=5)
    assert again.status_code == 304


def test_rebranding_needs_only_configuration(tmp_path_factory):
    live, stop = start_idp("embedded", tmp_path_factory, brand_name="Acme Corp",
                           brand_logo_url="https://cdn.acme.test/logo.svg", brand_primary_color="#ffcc00")
    try:
        page = requests.get(live.endpoint("/login"), timeout=5)
        assert "Acme Corp" in page.text and 'src="https://cdn.acme.test/logo.svg"' in page.text
        assert "img-src 'self' data: https://cdn.acme.test;" in page.headers["Content-Security-Policy"]
        css = requests.get(live.endpoint("/brand.css"), timeout=5).text
        assert "--primary: #ffcc00;" in css and "--on-primary: #111827;" in css  # dark text on yellow
    finally:
        stop()


@pytest.mark.parametrize("variable,value", [("BRAND_PRIMARY_COLOR", "red;} body{display:none"),
                                            ("BRAND_LOGO_URL", "javascript:alert(1)"),
                                            ("EMAIL_FROM", "not-an-address")])
def test_unsafe_brand_or_mail_settings_are_refused(variable, value):
    with pytest.raises(ConfigError, match=variable):
        Config.from_env({variable: value})


def test_pages_never_carry_inline_script_or_style(idp):
    for path in PAGES + ["/account", "/login/mfa"]:
        html = requests.get(idp.endpoint(path), timeout=5).text
        assert "style=" not in html and "<style" not in html
        assert "<script" not in html or "nonce=" in html
