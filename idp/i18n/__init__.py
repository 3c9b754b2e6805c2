"""French and English for the hosted pages and emails: a tiny catalogue, no build step.

The English text is the message id; idp/i18n/fr.py (and fr_<area>.py per feature area) maps it to French (a test checks that
every message used by a template or page has its translation). The language comes from
`?lang=` (which also sets a cookie: the switch in every page's footer), then that cookie,
then `?ui_locales=` (an RP's hint, OIDC Core 3.1.2.1, which the authorization endpoint passes on
to the sign-in and consent pages), then Accept-Language, then English.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, g, has_request_context, request

from idp.i18n import (fr, fr_admin, fr_admin_apis, fr_apis, fr_claims, fr_conformance, fr_console_clients,
                      fr_console_ops, fr_console_reads, fr_first_day, fr_migration, fr_org_sso, fr_organizations,
                      fr_passkeys, fr_webhooks)
from idp.plumbing.headers import JSON_PREFIXES

LANGUAGES = {"en": "English", "fr": "Français"}
CATALOGUES = {"en": {}, "fr": {**fr.FR, **fr_admin.FR, **fr_admin_apis.FR, **fr_apis.FR, **fr_conformance.FR,
                               **fr_console_ops.FR, **fr_passkeys.FR, **fr_migration.FR,
                               **fr_organizations.FR, **fr_org_sso.FR, **fr_first_day.FR, **fr_claims.FR,
                               **fr_console_reads.FR, **fr_console_clients.FR, **fr_webhooks.FR}}
COOKIE = "idp_lang"
DEFAULT = "en"


def current_locale() -> str:
    """Chosen on first use, so JSON endpoints never parse Accept-Language."""
    if not has_request_context():
        return DEFAULT
    if "locale" not in g:
        g.locale = select_locale()
    return g.locale


def gettext(message: str, **values) -> str:
    """The message in the current language; %(name)s placeholders are filled from values."""
    text = CATALOGUES[current_locale()].get(message, message)
    return text % values if values else text


def select_locale() -> str:
    asked = request.args.get("lang") or request.cookies.get(COOKIE)
    if asked in LANGUAGES:
        return asked
    for tag in request.args.get("ui_locales", "").split():  # BCP 47 tags in order of preference
        if tag.split("-")[0].lower() in LANGUAGES:
            return tag.split("-")[0].lower()
    return request.accept_languages.best_match(list(LANGUAGES), default=DEFAULT)


def switch_links() -> list[tuple[str, str, str]]:
    """(code, label, url) for each language: this same page, in that language."""
    args = {k: v for k, v in request.args.items() if k != "lang"}
    return [(code, label, request.path + "?" + urlencode({**args, "lang": code})) for code, label in LANGUAGES.items()]


def install(app: Flask, secure_cookie: bool) -> None:
    @app.after_request
    def _remember(response):
        if request.path.startswith(JSON_PREFIXES):
            return response  # machine endpoints (token, introspection, ...) have no language to remember
        asked = request.args.get("lang")
        if asked in LANGUAGES and request.cookies.get(COOKIE) != asked:
            response.set_cookie(COOKIE, asked, max_age=365 * 86400, samesite="Lax", httponly=True,
                                secure=secure_cookie)
        if response.mimetype == "text/html":
            response.vary.add("Accept-Language")
        return response

    @app.context_processor
    def _i18n_globals():
        return {"_": gettext, "locale": current_locale(), "languages": switch_links() if has_request_context() else []}
