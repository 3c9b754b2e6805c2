"""Issue 30.1: a client's URLs reach no header and no link unchecked (stored XSS on the IdP's origin).

Every URI-valued client metadata (RFC 7591 2, OIDC Registration 2, RP-Initiated Logout 3.1,
Back-Channel Logout 2.2) must be an absolute URL with a strict host, https except loopback http,
at every entry: open registration, registration with an initial access token, the RFC 7592 PUT,
the admin API, the admin console and `idp clients create`; each answers with its own error.
Clients stored before that rule still never put their text into the CSP or a link.
"""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
import requests

from idp.administration.client_policy import REDIRECT_FIELDS, URL_FIELDS

from ..admin_api import admin_session
from ..admin_console_flows import console, post_form  # noqa: F401  (fixture)
from ..conftest import REDIRECT_URI, remember_secret, start_idp
from .client_pages import assert_page_safe, assert_pages_safe, authorization_url, metadata_with, signed_in_browser

# One hostile value per field, each an instance of what the report found or a look-alike.
HOSTILE = {
    "logo_uri": "https://rp.example;script-src-elem",  # a CSP directive in the host
    "policy_uri": "javascript:alert(document.cookie)//https://rp.example/",
    "tos_uri": "data:text/html,<script>alert(1)</script>",
    "client_uri": "https://good.example@evil.example/",  # userinfo disguising the host
    "initiate_login_uri": "vbscript:msgbox(1)",
    "jwks_uri": "https://rp.example/jwks\r\nX-Injected: 1",
    "sector_identifier_uri": "https://0x7f.1/sector",  # an IPv4 address in disguise
    "backchannel_logout_uri": "http://rp.example/logout",  # plain http off loopback
    "redirect_uris": "https://rp.example;frame-ancestors/cb",
    "post_logout_redirect_uris": "https://rp.example'onmouseover='alert(1)/bye",
}
assert set(HOSTILE) == set(URL_FIELDS) | set(REDIRECT_FIELDS)


def expected_error(field: str) -> str:
    return "invalid_redirect_uri" if field in REDIRECT_FIELDS else "invalid_client_metadata"


def register(idp, metadata: dict, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.post(idp.endpoint("/connect/register"), json=metadata, headers=headers, timeout=10)
    if response.status_code == 201:
        remember_secret(response.json().get("client_secret"), response.json()["registration_access_token"])
    return response


@pytest.fixture(scope="module", params=["postgres", "embedded"])
def open_idp(request, tmp_path_factory):
    live, stop = start_idp(request.param, tmp_path_factory, registration_mode="open")
    yield live
    stop()


@pytest.mark.parametrize("field", sorted(HOSTILE))
def test_open_registration_refuses_a_hostile_url_rfc7591_3_2_2(open_idp, field):
    response = register(open_idp, metadata_with(field, HOSTILE[field]))
    assert response.status_code == 400 and response.json()["error"] == expected_error(field), response.text


@pytest.mark.parametrize("field", sorted(HOSTILE))
def test_registration_with_an_initial_access_token_refuses_a_hostile_url_rfc7591_3_2_2(idp, field):
    token = idp.services.initial_access_tokens.create(600, uses=1)
    response = register(idp, metadata_with(field, HOSTILE[field]), token)
    assert response.status_code == 400 and response.json()["error"] == expected_error(field), response.text


def test_client_configuration_put_refuses_a_hostile_url_rfc7592_2_2(idp):
    registered = register(idp, metadata_with("logo_uri", "https://rp.example/logo.png"),
                          idp.services.initial_access_tokens.create(600, uses=1)).json()
    url, token = registered["registration_client_uri"], registered["registration_access_token"]
    current = {k: v for k, v in registered.items() if k not in (
        "registration_client_uri", "registration_access_token", "client_secret_expires_at", "client_id_issued_at")}
    for field, value in HOSTILE.items():
        response = requests.put(url, json=metadata_with(field, value, **{k: v for k, v in current.items()
                                                                          if k not in (field, "redirect_uris")}),
                                headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert response.status_code == 400 and response.json()["error"] == expected_error(field), (field,
                                                                                                  response.text)
    unchanged = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    assert unchanged["logo_uri"] == "https://rp.example/logo.png" and "policy_uri" not in unchanged


def test_admin_api_refuses_hostile_urls_with_problem_json_rfc9457(idp):
    admin = admin_session(idp)
    body = {"client_name": "Hostile RP", "redirect_uris": [REDIRECT_URI, HOSTILE["redirect_uris"]],
            "post_logout_redirect_uris": [HOSTILE["post_logout_redirect_uris"]],
            **{field: HOSTILE[field] for field in URL_FIELDS}}
    response = admin.post("/clients", json=body)
    assert response.status_code == 400 and response.headers["Content-Type"] == "application/problem+json"
    assert {error["name"] for error in response.json()["errors"]} == set(HOSTILE)  # every wrong field named
    created = admin.post("/clients", json={"client_name": "Fine RP", "redirect_uris": [REDIRECT_URI]})
    assert created.status_code == 201, created.text
    for field, value in HOSTILE.items():
        patch = {field: [REDIRECT_URI, value] if field == "redirect_uris" else [value]
                 if field in REDIRECT_FIELDS else value}
        response = admin.patch(f"/clients/{created.json()['client_id']}", json=patch,
                               headers={"If-Match": created.headers["ETag"]})
        assert response.status_code == 400 and response.headers["Content-Type"] == "application/problem+json"
        assert {error["name"] for error in response.json()["errors"]} == {field}


def test_admin_console_refuses_a_hostile_redirect_uri_with_a_form_error(idp, console):  # noqa: F811
    browser, _ = console
    page = browser.go(idp.endpoint("/admin/clients/new"))
    name = f"Console RP {uuid.uuid4().hex[:8]}"
    refused = post_form(browser, "/admin/clients/new", page, name=name, scope="openid",
                        redirect_uris=f"{REDIRECT_URI}\n{HOSTILE['redirect_uris']}")
    assert refused.status_code == 400 and "The client was not saved" in refused.text and "redirect_uris" in refused.text
    assert_page_safe(refused)
    assert not [c for c in idp.services.clients.page(10_000, None) if c.name == name]


def test_cli_refuses_hostile_urls_with_a_clean_error(idp):
    options = {"--redirect-uri": "redirect_uris", "--post-logout-redirect-uri": "post_logout_redirect_uris",
               "--jwks-uri": "jwks_uri", "--backchannel-logout-uri": "backchannel_logout_uri",
               "--sector-identifier-uri": "sector_identifier_uri"}
    args = [f"{option}={HOSTILE[field]}" for option, field in options.items()]
    result = subprocess.run([sys.executable, "-m", "idp.cli", "clients", "create", "--name", "Hostile RP", *args],
                            env=idp.cli_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-800:]
    assert all(field in result.stderr for field in options.values()), result.stderr


@pytest.mark.parametrize("metadata", [
    {"logo_uri": "https://rp.example;script-src-elem 'unsafe-inline';frame-ancestors *",
     "policy_uri": "javascript:alert(document.cookie)", "tos_uri": "JaVaScRiPt:alert(1)"},
    {"logo_uri": "https://rp.example/logo.png\"><script>alert(1)</script>", "policy_uri": "data:text/html,x",
     "tos_uri": "vbscript:msgbox(1)"},
    {"logo_uri": "http://attacker.example/logo.png", "policy_uri": " https://rp.example/p", "tos_uri": "//evil.example"},
    {"logo_uri": "https://good.example@evil.example/l.png", "policy_uri": "https://rp.example/p\r\nX: y",
     "tos_uri": "https://[fe80::1%25eth0]/tos"},
], ids=["csp-directives", "quote-breakout", "http-and-relative", "userinfo-and-crlf"])
def test_clients_stored_before_the_rule_never_reach_the_csp_or_a_link(idp, metadata):
    """Defence in depth: a client written before the registration rule (or straight to the database)."""
    client, _ = idp.create_client(metadata=metadata)
    assert_pages_safe(idp, signed_in_browser(idp), client.client_id)
    page = requests.get(authorization_url(idp, client.client_id), timeout=10)
    assert "client-logo" not in page.text and "data-link" not in page.text


def test_a_valid_logo_and_links_are_shown_with_their_origin_only_oidc_registration_2(idp):
    token = idp.services.initial_access_tokens.create(600, uses=1)
    response = register(idp, metadata_with("logo_uri", "https://CDN.rp.example:8443/logo.png?v=1",
                                           policy_uri="https://rp.example/privacy;v=2", tos_uri="https://rp.example/tos?lang=en"),
                        token)
    assert response.status_code == 201, response.text
    url = authorization_url(idp, response.json()["client_id"])
    page = requests.get(url, timeout=10)
    assert "img-src 'self' data: https://cdn.rp.example:8443;" in page.headers["Content-Security-Policy"]
    assert 'href="https://rp.example/privacy;v=2"' in page.text and 'href="https://rp.example/tos?lang=en"' in page.text
    assert_pages_safe(idp, signed_in_browser(idp), response.json()["client_id"])
