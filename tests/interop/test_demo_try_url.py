"""Issue 34 B: the URL `idp demo` prints works in a browser on a fresh machine. It carries PKCE
(RFC 7636 4.3, S256), a state and a nonce (OpenID Connect Core 1.0 3.1.2.1); its redirect URI is
the demo's own callback page, which redeems the code with the verifier the demo kept and shows the
ID token it validated (Core 3.1.3.7: signature, iss, aud, nonce). The page exists only under
`idp demo`: not on a server started otherwise, and production refuses the setting."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from idp.config import Config, ConfigError
from idp.config.demo import DemoTry

from .browsing import page  # noqa: F401 (a fixture)
from .demo_server import demo_server

EMBEDDED = pytest.mark.parametrize("idp", ["embedded"], indirect=True)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    yield from demo_server(tmp_path_factory)


def test_the_printed_try_url_carries_pkce_s256_state_and_nonce_rfc7636_4_3(demo):
    url = urlsplit(demo.banner["try"])
    assert f"{url.scheme}://{url.netloc}" == demo.issuer and url.path == "/authorize"
    query = {name: values[0] for name, values in parse_qs(url.query).items()}
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43  # base64url(SHA-256)
    assert query["nonce"] and query["state"] and query["response_type"] == "code"
    assert "openid" in query["scope"].split()
    assert query["redirect_uri"] == demo.issuer + "/demo/callback"
    assert demo.banner["client_secret"] not in demo.banner["try"]


def test_try_url_in_a_browser_lands_on_the_callback_page_with_sub_and_nonce_checked_core_3_1_3_7(demo, page,
                                                                                                    screenshot):
    page.goto(demo.banner["try"])
    page.get_by_label("Email").fill("demo@example.com")
    page.get_by_label("Password").fill(demo.banner["password"])
    page.get_by_role("button", name="Sign in", exact=True).click()
    allow = page.get_by_role("button", name="Allow")
    allow.or_(page.locator("#demo-sub")).wait_for()
    if allow.count():
        allow.click()
    page.wait_for_url(demo.issuer + "/demo/callback?*")
    screenshot(page, "demo-callback")
    assert page.title().startswith("Signed in"), page.content()[:2000]
    assert page.locator("#demo-sub").inner_text() == demo.user_id("demo@example.com")
    assert page.locator("#demo-nonce").inner_text().startswith("check OK")
    claims = page.locator("#demo-claims").inner_text()
    assert '"email": "demo@example.com"' in claims and f'"iss": "{demo.issuer}"' in claims
    assert "access_token" not in page.locator("#demo-token-response").inner_text()  # never shown

    page.reload()  # the same code again: RFC 6749 4.1.2, a code is used once; a page, not a 500
    assert page.locator("h1").inner_text() == "The demo sign-in did not finish"
    assert "invalid_grant" in page.content()


def test_callback_refuses_a_state_the_demo_did_not_send_rfc6749_10_12(demo):
    response = requests.get(demo.issuer + "/demo/callback", params={"code": "x", "state": "forged"}, timeout=10)
    assert response.status_code == 400 and "not the state the demo sent" in response.text
    assert "<script>" not in requests.get(demo.issuer + "/demo/callback", timeout=10,
                                          params={"state": "<script>", "code": "x"}).text


def test_callback_refuses_a_response_without_this_issuer_rfc9207_2_4(demo):
    state = parse_qs(urlsplit(demo.banner["try"]).query)["state"][0]
    for params in ({"state": state, "code": "x"}, {"state": state, "code": "x", "iss": "https://evil.example"}):
        response = requests.get(demo.issuer + "/demo/callback", params=params, timeout=10)
        assert response.status_code == 400 and "does not come from this issuer" in response.text


def test_callback_escapes_an_error_description_it_shows(demo):
    state = parse_qs(urlsplit(demo.banner["try"]).query)["state"][0]
    response = requests.get(demo.issuer + "/demo/callback", timeout=10,
                            params={"state": state, "iss": demo.issuer, "error": "access_denied",
                                    "error_description": "<b>no</b>"})
    assert response.status_code == 400 and "&lt;b&gt;no&lt;/b&gt;" in response.text and "<b>no</b>" not in response.text


@EMBEDDED
def test_a_server_not_started_by_idp_demo_has_no_callback_page(idp):
    assert idp.services.config.demo is None
    response = requests.get(idp.endpoint("/demo/callback"), params={"state": "x", "code": "y"}, timeout=10)
    assert response.status_code == 404


def test_production_refuses_the_demo_flow():
    config = Config(issuer="https://id.example.com", production=True, redis_url="redis://127.0.0.1:6379/0",
                    database_url="postgresql://idp@db/idp", session_secret="s" * 8 + "abcdefghijklmnopqrstuvwxyz",
                    key_encryption_key="k" * 8 + "abcdefghijklmnopqrstuvwxyz")
    config.validate()  # otherwise valid
    with pytest.raises(ConfigError, match="idp demo"):
        dataclasses.replace(config, demo=DemoTry.new(config.issuer, "secret")).validate()
