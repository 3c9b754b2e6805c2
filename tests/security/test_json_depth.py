"""Issue 30.6: JSON nested deeper than the parser follows is malformed input, answered with the
endpoint's own 400-class error (RFC 8259 9 lets a parser limit nesting), never a 500 and never a
traceback in the log, at every reader of request JSON: the registration endpoints (RFC 7591,
RFC 7592), the admin API's bodies and cursors, the claims parameter, token headers, passkey
responses, JWK imports (console and CLI)."""

from __future__ import annotations

import base64
import logging
import subprocess
import sys
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from idp.plumbing import json_input

from ..admin_api import admin_session
from ..admin_console_flows import console, post_form  # noqa: F401  (fixture)
from ..conftest import REDIRECT_URI, remember_secret

# 30,000 brackets, 60 KB: what the report sent; far past the interpreter's recursion limit.
DEEP = "[" * 30_000 + "]" * 30_000
# A token header nested 3,000 deep fits in a query string; still past the recursion limit.
DEEP_HEADER_JWT = base64.urlsafe_b64encode(("[" * 3000 + "]" * 3000).encode()).decode().rstrip("=") + ".e30.sig"


@pytest.fixture
def server_log():
    """The records the IdP logs while the test runs (its servers run in this process)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logger = logging.getLogger("idp")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)
    # No traceback, no "unhandled error": the input was refused as malformed.
    assert not [r for r in records if r.exc_info or r.levelno >= logging.ERROR], \
        [r.getMessage() for r in records]


def json_post(url, method="POST", **kwargs):
    return requests.request(method, url, data=DEEP, timeout=30,
                            headers={"Content-Type": "application/json", **kwargs.pop("headers", {})}, **kwargs)


def test_parser_reports_deep_nesting_as_malformed_json_rfc8259_9():
    for text in (DEEP, "[" * (json_input.MAX_DEPTH + 1) + "]" * (json_input.MAX_DEPTH + 1),
                 '{"a": ' * (json_input.MAX_DEPTH + 1) + "1" + "}" * (json_input.MAX_DEPTH + 1)):
        with pytest.raises(ValueError):
            json_input.loads(text)
    assert json_input.loads("[" * json_input.MAX_DEPTH + "]" * json_input.MAX_DEPTH)
    assert json_input.loads('{"a": [[1]]}') == {"a": [[1]]}


def test_deep_registration_body_is_invalid_client_metadata_rfc7591_3_2_2(idp, server_log):
    token = idp.services.initial_access_tokens.create(600, uses=1)
    for headers in ({}, {"Authorization": f"Bearer {token}"}):  # before and after authentication
        response = json_post(idp.endpoint("/connect/register"), headers=headers)
        assert response.status_code in (400, 401), response.text
        if response.status_code == 400:
            assert response.json()["error"] == "invalid_client_metadata"
    assert json_post(idp.endpoint("/connect/register"), headers={"Authorization": f"Bearer {token}"}).json()[
        "error"] == "invalid_client_metadata"


def test_deep_client_configuration_put_is_invalid_client_metadata_rfc7592_2_2(idp, server_log):
    token = idp.services.initial_access_tokens.create(600, uses=1)
    registered = requests.post(idp.endpoint("/connect/register"), timeout=10, headers={"Authorization": f"Bearer {token}"},
                               json={"client_name": "Deep", "redirect_uris": [REDIRECT_URI]}).json()
    remember_secret(registered.get("client_secret"), registered["registration_access_token"])
    url = registered["registration_client_uri"]
    for headers in ({}, {"Authorization": f"Bearer {registered['registration_access_token']}"}):
        response = json_post(url, "PUT", headers=headers)
        assert response.status_code == 400 and response.json()["error"] == "invalid_client_metadata", response.text


@pytest.mark.parametrize("method, path", [("POST", "/clients"), ("PATCH", "/clients/{id}"), ("POST", "/apis"),
                                          ("POST", "/registration-tokens")])
def test_deep_admin_api_body_is_problem_json_400_rfc9457(idp, server_log, method, path):
    """Past the interpreter's recursion limit, and just under it (which the parser reads, but the
    checks that walk what was parsed did not survive)."""
    admin = admin_session(idp)
    for body in (DEEP, '{"client_name": ' + "[" * 600 + "]" * 600 + "}"):
        response = admin.request(method, path.format(id=admin.client_id), data=body,
                                 headers={"Content-Type": "application/json", "If-Match": "*"})
        assert response.status_code == 400, response.text
        assert response.headers["Content-Type"].startswith("application/problem+json")
        assert {error["name"] for error in response.json()["errors"]} == {"body"}


def test_deep_admin_api_cursor_is_problem_json_400(idp, server_log):
    cursor = base64.urlsafe_b64encode(("[" * 700 + "]" * 700).encode()).decode().rstrip("=")
    response = admin_session(idp).get("/clients", params={"cursor": cursor})
    assert response.status_code == 400 and response.headers["Content-Type"].startswith("application/problem+json")


def test_deep_claims_parameter_is_invalid_request_oidc_core_5_5(idp, client, server_log):
    params = {"client_id": client.client_id, "redirect_uri": REDIRECT_URI, "response_type": "code",
              "scope": "openid", "state": "s", "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
              "code_challenge_method": "S256", "claims": "[" * 3000 + "]" * 3000}
    response = requests.get(idp.endpoint("/authorize?" + urlencode(params)), allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text[:300]
    answer = parse_qs(urlsplit(response.headers["Location"]).query)
    assert answer["error"] == ["invalid_request"] and answer["state"] == ["s"]


def test_deep_token_header_is_an_invalid_token_rfc6750_3_1(idp, client, server_log):
    userinfo = requests.get(idp.endpoint("/userinfo"), headers={"Authorization": f"Bearer {DEEP_HEADER_JWT}"},
                            timeout=10)
    assert userinfo.status_code == 401 and userinfo.json()["error"] == "invalid_token"
    introspection = requests.post(idp.endpoint("/introspect"), data={"token": DEEP_HEADER_JWT}, timeout=10,
                                  auth=(client.client_id, client.client_metadata["secret"]))
    assert introspection.status_code == 200 and introspection.json() == {"active": False}


def test_deep_id_token_hint_is_an_error_page_oidc_rp_initiated_logout_2(idp, server_log):
    response = requests.get(idp.endpoint("/end_session"), params={"id_token_hint": DEEP_HEADER_JWT}, timeout=10)
    assert response.status_code == 400 and "text/html" in response.headers["Content-Type"]


def test_deep_passkey_response_is_refused_as_invalid_webauthn_l3_5_1_8():
    from idp.accounts.passkeys import PasskeyRefused, parse_response

    with pytest.raises(PasskeyRefused):
        parse_response(DEEP, None)


def test_deep_jwk_in_the_console_is_a_form_error(idp, console, server_log):  # noqa: F811
    browser, _ = console
    page = browser.go(idp.endpoint("/admin/keys"))
    refused = post_form(browser, "/admin/keys/import", page, key="{" + '"a":' * 3000 + "1" + "}" * 3000)
    assert refused.status_code == 400 and "was not imported" in refused.text


def test_deep_jwk_file_is_a_clean_cli_error(idp, tmp_path):
    path = tmp_path / "deep.jwk"
    path.write_text("{" + '"a":{' * 30_000 + "}" * 30_001)
    result = subprocess.run([sys.executable, "-m", "idp.cli", "keys", "import", str(path)], env=idp.cli_env(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr[-500:]
    assert "neither a JWK" in result.stderr
