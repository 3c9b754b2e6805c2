"""Issue 30, 8: cross-origin access is the calling client's, not the deployment's. /token, /revoke
and /userinfo let an origin read their answers only when it is one of the calling client's origins
(its redirect URIs' origins, its `allowed_origins`) or CORS_ORIGIN's (Fetch standard, CORS
protocol); `allowed_origins` is checked as exact https (or loopback http) origins at every entry:
dynamic registration (RFC 7591 2), RFC 7592 PUT, the admin API, the console, the CLI."""

from __future__ import annotations

import base64
import dataclasses
import json
import subprocess
import sys

import pytest
import requests

from tests.admin_api import admin_session
from tests.admin_console_flows import enter_console, make_admin, post_form
from tests.conftest import Browser
from tests.test_code_flow import run_code_flow
from tests.test_cors import origins  # noqa: F401  (fixture: two single-page apps on their own origins)
from tests.test_registration import WEB_APP, register

A, B = "https://a-spa.example", "https://b-spa.example"
HOSTILE = ["http://a-spa.example", "https://a-spa.example/", "https://a-spa.example/cb", "https://A-spa.example",
           "https://a-spa.example:443", "https://a-spa.example;script-src *", "https://a-spa.example\r\nX: y",
           "javascript:alert(1)", "*", "null", "https://user@a-spa.example", 42]


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def service(idp, origins):
    client, secret = idp.create_client(grant_types=["client_credentials"], redirect_uris=[],
                                       metadata={"allowed_origins": origins})
    return client.client_id, secret


def token_request(idp, origin: str, client_id: str, secret: str) -> requests.Response:
    return requests.post(idp.endpoint("/token"), data={"grant_type": "client_credentials"}, timeout=5,
                         headers={"Origin": origin, "Authorization": basic(client_id, secret)})


def test_token_answers_only_the_calling_clients_origins_fetch_cors_protocol(idp):
    a, b = service(idp, [A]), service(idp, [B])
    ok = token_request(idp, A, *a)
    assert ok.status_code == 200 and ok.headers["Access-Control-Allow-Origin"] == A
    assert "origin" in ok.headers["Vary"].lower() and "Access-Control-Allow-Credentials" not in ok.headers
    assert "Access-Control-Allow-Origin" not in token_request(idp, B, *a).headers  # B's origin calling as A
    assert token_request(idp, B, *b).headers["Access-Control-Allow-Origin"] == B
    refused = token_request(idp, A, a[0], "wrong")  # the client's own origin reads its error
    assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == A
    assert "www-authenticate" in refused.headers["Access-Control-Expose-Headers"].lower()
    assert "Access-Control-Allow-Origin" not in token_request(idp, A, b[0], "wrong").headers


def test_revoke_answers_the_origin_of_the_clients_redirect_uris_by_default(idp):
    client, secret = idp.create_client(redirect_uris=["https://spa.example/callback"])
    for origin, allowed in (("https://spa.example", True), (A, False), ("https://spa.example.evil", False)):
        response = requests.post(idp.endpoint("/revoke"), data={"token": "unknown"}, timeout=5,
                                 headers={"Origin": origin, "Authorization": basic(client.client_id, secret)})
        assert response.status_code == 200
        assert (response.headers.get("Access-Control-Allow-Origin") == origin) is allowed, origin


def test_userinfo_answers_the_origins_of_the_client_the_token_was_issued_to(idp, browser, user):
    client, secret = idp.create_client(metadata={"allowed_origins": [A]})
    client = dataclasses.replace(client, client_metadata={**client.client_metadata, "secret": secret})
    _, meta, token, _, _ = run_code_flow(idp, browser, client, user)
    bearer = {"Authorization": "Bearer " + token["access_token"]}
    read = requests.get(meta["userinfo_endpoint"], headers={**bearer, "Origin": A}, timeout=5)
    assert read.status_code == 200 and read.headers["Access-Control-Allow-Origin"] == A
    other = requests.get(meta["userinfo_endpoint"], headers={**bearer, "Origin": B}, timeout=5)
    assert other.status_code == 200 and "Access-Control-Allow-Origin" not in other.headers
    # A refused token: its client's origin may read the 401 (to refresh), no other origin.
    head, payload, _ = token["access_token"].split(".")
    forged = f"{head}.{payload}.AAAA"
    refused = requests.get(meta["userinfo_endpoint"], timeout=5,
                           headers={"Authorization": "Bearer " + forged, "Origin": A})
    assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == A
    refused = requests.get(meta["userinfo_endpoint"], timeout=5,
                           headers={"Authorization": "Bearer " + forged, "Origin": B})
    assert refused.status_code == 401 and "Access-Control-Allow-Origin" not in refused.headers


def test_a_preflight_is_answered_for_registered_origins_only(idp):
    service(idp, ["https://preflight.example"])
    for origin, allowed in (("https://preflight.example", True), ("https://nobody.example", False)):
        for path in ("/token", "/revoke", "/userinfo"):
            response = requests.options(idp.endpoint(path), timeout=5, headers={
                "Origin": origin, "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type"})
            assert response.status_code == 200
            assert (response.headers.get("Access-Control-Allow-Origin") == origin) is allowed, (origin, path)
            if allowed:
                assert "POST" in response.headers["Access-Control-Allow-Methods"]
                assert "authorization" in response.headers["Access-Control-Allow-Headers"].lower()
                assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize("value", HOSTILE)
def test_dynamic_registration_refuses_what_is_not_an_exact_origin_rfc7591_2(idp, value):
    token = idp.services.initial_access_tokens.create(600, uses=1)
    response = register(idp, {**WEB_APP, "allowed_origins": [value]}, token)
    assert response.status_code == 400 and response.json()["error"] == "invalid_client_metadata", response.text


def test_dynamic_registration_and_rfc7592_put_keep_and_check_allowed_origins(idp):
    token = idp.services.initial_access_tokens.create(600, uses=1)
    created = register(idp, {**WEB_APP, "allowed_origins": [A]}, token)
    assert created.status_code == 201 and created.json()["allowed_origins"] == [A]
    body = created.json()
    assert A in idp.services.clients.get(body["client_id"]).origins
    auth = {"Authorization": "Bearer " + body["registration_access_token"]}
    bad = requests.put(body["registration_client_uri"], headers=auth, timeout=5,
                       json={**WEB_APP, "client_id": body["client_id"], "allowed_origins": ["https://b.example/x"]})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_client_metadata"
    good = requests.put(body["registration_client_uri"], headers=auth, timeout=5,
                        json={**WEB_APP, "client_id": body["client_id"], "allowed_origins": [B]})
    assert good.status_code == 200 and good.json()["allowed_origins"] == [B]
    assert idp.services.clients.get(body["client_id"]).origins >= {B} and A not in \
        idp.services.clients.get(body["client_id"]).origins


def test_the_admin_api_checks_and_keeps_allowed_origins_rfc9457(idp):
    admin = admin_session(idp)
    fields = {"client_name": "SPA", "redirect_uris": ["https://spa.example/cb"], "token_endpoint_auth_method": "none"}
    for value in HOSTILE[:8]:
        refused = admin.post("/clients", json={**fields, "allowed_origins": [value]})
        assert refused.status_code == 400, (value, refused.text)
        assert [e["name"] for e in refused.json()["errors"]] == ["allowed_origins"]
    made = admin.post("/clients", json={**fields, "allowed_origins": [A, "http://127.0.0.1:5173"]})
    assert made.status_code == 201 and made.json()["allowed_origins"] == [A, "http://127.0.0.1:5173"]
    path = f"/clients/{made.json()['client_id']}"
    changed = admin.patch(path, json={"allowed_origins": None}, headers={"If-Match": made.headers["ETag"]})
    assert changed.status_code == 200 and "allowed_origins" not in changed.json()


def test_the_console_client_form_checks_and_keeps_allowed_origins(idp):
    admin, secret = make_admin(idp)
    browser = Browser(idp)
    enter_console(browser, admin, secret)
    form = browser.go(idp.endpoint("/admin/clients/new"))
    refused = post_form(browser, "/admin/clients/new", form, name="SPA", scope="openid",
                        redirect_uris="https://spa.example/cb", allowed_origins="https://a-spa.example/path")
    assert refused.status_code == 400 and "allowed_origins" in refused.text
    made = post_form(browser, "/admin/clients/new", form, name="Console SPA", scope="openid",
                     redirect_uris="https://console-spa.example/cb", allowed_origins=f"{A}\n{B}\n")
    assert made.status_code == 200, made.text[:300]
    found = [c for c in idp.services.clients.page(10_000) if c.name == "Console SPA"][-1]
    assert found.client_metadata["allowed_origins"] == [A, B]
    edit = browser.go(idp.endpoint(f"/admin/clients/{found.client_id}"))
    assert A in edit.text and B in edit.text


def cli(idp, *args):
    return subprocess.run([sys.executable, "-m", "idp.cli", "clients", *args], env=idp.cli_env(),
                          capture_output=True, text=True, timeout=60)


def test_idp_clients_create_and_update_take_allowed_origins(idp):
    if idp.backend != "postgres":
        pytest.skip("the command's checks are the service's: one backend is enough")
    refused = cli(idp, "create", "--name", "CLI SPA", "--public", "--redirect-uri", "https://cli-spa.example/cb",
                  "--allowed-origin", "https://cli-spa.example/")
    assert refused.returncode != 0 and "allowed_origins" in refused.stderr and "Traceback" not in refused.stderr
    made = cli(idp, "create", "--name", "CLI SPA", "--public", "--redirect-uri", "https://cli-spa.example/cb",
               "--allowed-origin", A, "--json")
    assert made.returncode == 0, made.stderr
    client_id = json.loads(made.stdout)["client_id"]
    assert idp.services.clients.get(client_id, fresh=True).client_metadata["allowed_origins"] == [A]
    updated = cli(idp, "update", client_id, "--allowed-origin", B, "--allowed-origin", "http://localhost:3000")
    assert updated.returncode == 0, updated.stderr
    assert idp.services.clients.get(client_id, fresh=True).client_metadata["allowed_origins"] == [
        B, "http://localhost:3000"]
    bad = cli(idp, "update", client_id, "--allowed-origin", "http://cli-spa.example")
    assert bad.returncode != 0 and "https" in bad.stderr
    cleared = cli(idp, "update", client_id, "--no-allowed-origins")
    assert cleared.returncode == 0 and "allowed_origins" not in idp.services.clients.get(
        client_id, fresh=True).client_metadata


FETCH_TOKEN = """async ([url, auth]) => {
  try {
    const r = await fetch(url, {method: "POST", body: "grant_type=client_credentials",
      headers: {"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"}});
    return {status: r.status, body: await r.json()};
  } catch (e) { return {blocked: String(e)}; }
}"""


def test_a_browser_app_reads_tokens_as_its_own_client_only_fetch_cors_protocol(idp, chromium, origins):  # noqa: F811
    """Chromium enforces it: the Authorization header makes the fetch preflighted; each page's origin
    (another port of 127.0.0.1) is one client's allowed origin, and no CORS_ORIGIN is set."""
    own = [service(idp, [origin]) for origin in origins]
    for n, origin in enumerate(origins):
        page = chromium.new_page()
        page.goto(origin + "/")
        for m, (client_id, secret) in enumerate(own):
            result = page.evaluate(FETCH_TOKEN, [idp.endpoint("/token"), basic(client_id, secret)])
            if n == m:
                assert result.get("status") == 200 and result["body"]["token_type"] == "Bearer", (n, m, result)
            else:
                assert "blocked" in result, (n, m, result)
        page.close()
