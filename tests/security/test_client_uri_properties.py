"""Issue 30.1, as properties: generated hostile strings (';' and CSP directives, quotes, spaces,
CR/LF, javascript:/data:/vbscript: schemes, userinfo, disguised IP addresses, unicode) in each
URI-valued field, through each entry. Whatever an entry accepts is a strict URL, and the login and
consent pages of the client it made have exactly the fixed CSP plus normalised origins and no link
with a scheme other than http(s); whatever it refuses, it refuses with its own error.

Example counts are modest (the suite stays fast); hypothesis keeps no example database here.
"""

from __future__ import annotations

import gc
import json
import uuid

import pytest
import requests
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idp.administration.client_policy import REDIRECT_FIELDS, URL_FIELDS
from idp.cli import main

from ..admin_api import admin_session
from ..admin_console_flows import console, post_form  # noqa: F401  (fixture)
from ..conftest import REDIRECT_URI, remember_secret
from .client_pages import HOSTILE_URLS, assert_pages_safe, is_strict, metadata_with, signed_in_browser

CLI_SETTINGS = ("DATABASE_URL", "ISSUER", "IDP_ENV", "SESSION_SECRET", "KEY_ENCRYPTION_KEY", "REDIS_URL",
                "REDIS_KEY_PREFIX")
FIELDS = st.sampled_from(sorted(URL_FIELDS + REDIRECT_FIELDS))
CHECKS = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])


@pytest.fixture(scope="module")
def signed_in(idp):
    return signed_in_browser(idp)


def registered_value(body: dict, field: str):
    return body[field][-1] if field in REDIRECT_FIELDS else body[field]


def check_registration_answer(idp, signed_in, response, field: str, value: str) -> None:
    if response.status_code == 201:
        body = response.json()
        remember_secret(body.get("client_secret"), body.get("registration_access_token"))
        assert is_strict(value) and registered_value(body, field) == value, value
        assert_pages_safe(idp, signed_in, body["client_id"])
        return
    assert response.status_code == 400, (value, response.status_code, response.text[:300])
    assert response.json()["error"] in ("invalid_client_metadata", "invalid_redirect_uri"), response.text


@settings(max_examples=30, **CHECKS)
@given(field=FIELDS, value=HOSTILE_URLS)
def test_registration_accepts_only_strict_urls_and_pages_stay_safe_rfc7591_2(idp, signed_in, field, value):
    token = idp.services.initial_access_tokens.create(600, uses=1)
    response = requests.post(idp.endpoint("/connect/register"), json=metadata_with(field, value), timeout=10,
                             headers={"Authorization": f"Bearer {token}"})
    check_registration_answer(idp, signed_in, response, field, value)


@pytest.fixture(scope="module")
def configured(idp):
    """A dynamically registered client, its configuration URL and registration access token."""
    token = idp.services.initial_access_tokens.create(600, uses=1)
    body = requests.post(idp.endpoint("/connect/register"), json=metadata_with("logo_uri", "https://rp.example/l.png"),
                         headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    remember_secret(body.get("client_secret"), body["registration_access_token"])
    return body["registration_client_uri"], body["registration_access_token"]


@settings(max_examples=30, **CHECKS)
@given(field=FIELDS, value=HOSTILE_URLS)
def test_client_configuration_put_accepts_only_strict_urls_rfc7592_2_2(idp, signed_in, configured, field, value):
    url, token = configured
    response = requests.put(url, json={**metadata_with(field, value), "client_id": url.rsplit("/", 1)[1]},
                            headers={"Authorization": f"Bearer {token}"}, timeout=10)
    if response.status_code == 200:
        response.status_code = 201  # the same checks as a registration's answer
    check_registration_answer(idp, signed_in, response, field, value)


@pytest.fixture(scope="module")
def admin(idp):
    return admin_session(idp)


@settings(max_examples=30, **CHECKS)
@given(field=FIELDS, value=HOSTILE_URLS)
def test_admin_api_accepts_only_strict_urls_and_pages_stay_safe(idp, signed_in, admin, field, value):
    response = admin.post("/clients", json=metadata_with(field, value))
    if response.status_code == 201:
        assert is_strict(value) and registered_value(response.json(), field) == value, value
        remember_secret(response.json().get("client_secret"))
        assert_pages_safe(idp, signed_in, response.json()["client_id"])
        return
    assert response.status_code == 400 and response.headers["Content-Type"] == "application/problem+json"
    assert field in {error["name"] for error in response.json()["errors"]}, response.text


@settings(max_examples=20, **CHECKS)
@given(value=HOSTILE_URLS.filter(lambda v: "\r" not in v and "\n" not in v))  # the form's separator of URIs
def test_admin_console_accepts_only_strict_redirect_uris(idp, signed_in, console, value):  # noqa: F811
    browser, _ = console
    page = browser.go(idp.endpoint("/admin/clients/new"))
    name = f"Console RP {uuid.uuid4().hex[:8]}"
    response = post_form(browser, "/admin/clients/new", page, name=name, scope="openid",
                         redirect_uris=f"{REDIRECT_URI}\n{value}")
    made = [c for c in idp.services.clients.page(10_000, None) if c.name == name]
    if response.status_code == 200:
        assert is_strict(value.strip()) and len(made) == 1, value
        assert_pages_safe(idp, signed_in, made[0].client_id)
        return
    assert response.status_code == 400 and "The client was not saved" in response.text and not made, value


@settings(max_examples=15, **CHECKS)
@given(option=st.sampled_from(["--redirect-uri", "--jwks-uri", "--post-logout-redirect-uri",
                               "--backchannel-logout-uri", "--sector-identifier-uri"]),
       value=HOSTILE_URLS.filter(lambda v: "\x00" not in v))  # an argument cannot hold NUL
def test_cli_accepts_only_strict_urls(idp, option, value):
    """`idp clients create` run in this process (the subprocess of test_client_uri_metadata.py shows
    the command's real output; here many values go through the same command quickly)."""
    extra = [] if option == "--redirect-uri" else ["--redirect-uri", REDIRECT_URI]
    env = {k: v for k, v in idp.cli_env().items() if k in CLI_SETTINGS}
    result = CliRunner().invoke(main, ["clients", "create", "--name", "CLI RP", "--json", f"{option}={value}",
                                       *extra], env={**env, "REDIS_URL": env.get("REDIS_URL")})
    gc.collect()  # the command's services (and their database connections) go with it, as with a process
    if result.exit_code == 0:
        assert is_strict(value), value
        remember_secret(json.loads(result.output)["client_secret"])
        return
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), (result.output, result.exception)
    assert "Error:" in result.output, result.output


@settings(max_examples=30, **CHECKS)
@given(logo=HOSTILE_URLS, policy=HOSTILE_URLS, tos=HOSTILE_URLS)
def test_clients_stored_with_any_urls_never_reach_the_csp_or_a_link(idp, signed_in, logo, policy, tos):
    """Defence in depth: whatever a client row holds (written before the rule, or by other means)."""
    metadata = {"logo_uri": logo, "policy_uri": policy, "tos_uri": tos}
    if idp.backend == "postgres":  # PostgreSQL's JSON cannot hold NUL at all
        metadata = {k: v.replace("\x00", "") for k, v in metadata.items()}
    client, _ = idp.create_client(metadata=metadata)
    assert_pages_safe(idp, signed_in, client.client_id)
