"""Browser-based relying parties across origins (Fetch standard, CORS protocol): discovery and the
JWKS for any origin; /token, /userinfo and /revoke for the origins in CORS_ORIGIN only, without
credentials; nothing for the endpoints a browser app has no business calling (introspection)."""

from __future__ import annotations

import base64
import http.server
import threading

import pytest
import requests

from idp.config import Config, ConfigError

from .conftest import start_idp

PAGE = b"<!doctype html><title>spa</title><p>a single-page app</p>"


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def origins():
    """Two single-page apps on their own origins (other ports of 127.0.0.1): one allowed, one not."""
    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield [f"http://127.0.0.1:{server.server_port}" for server in servers]
    for server in servers:
        server.shutdown()


@pytest.fixture(scope="module")
def spa_idp(origins, tmp_path_factory):
    live, stop = start_idp("embedded", tmp_path_factory, cors_origin=origins[0])
    yield live
    stop()


@pytest.fixture(scope="module")
def service_client(spa_idp):
    client, secret = spa_idp.create_client(grant_types=["client_credentials"], redirect_uris=[])
    return client.client_id, secret


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def test_preflight_for_the_token_endpoint_allows_the_listed_origin_without_credentials(spa_idp, origins):
    response = requests.options(spa_idp.endpoint("/token"), timeout=5, headers={
        "Origin": origins[0], "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,dpop"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == origins[0]
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert {"authorization", "content-type", "dpop"} <= {h.strip() for h in allowed.split(",")}
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_token_responses_and_oauth_errors_are_readable_by_the_listed_origin(spa_idp, origins, service_client):
    ok = requests.post(spa_idp.endpoint("/token"), data={"grant_type": "client_credentials"}, timeout=5,
                       headers={"Origin": origins[0], "Authorization": basic(*service_client)})
    assert ok.status_code == 200 and ok.headers["Access-Control-Allow-Origin"] == origins[0]
    refused = requests.post(spa_idp.endpoint("/token"), data={"grant_type": "client_credentials"}, timeout=5,
                            headers={"Origin": origins[0], "Authorization": basic(service_client[0], "wrong")})
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert refused.headers["Access-Control-Allow-Origin"] == origins[0]
    assert "www-authenticate" in refused.headers["Access-Control-Expose-Headers"].lower()


def test_other_origins_and_other_endpoints_get_no_cors_headers(spa_idp, origins, service_client):
    other = requests.post(spa_idp.endpoint("/token"), data={"grant_type": "client_credentials"}, timeout=5,
                          headers={"Origin": origins[1], "Authorization": basic(*service_client)})
    assert other.status_code == 200 and "Access-Control-Allow-Origin" not in other.headers
    token = other.json()["access_token"]
    introspection = requests.post(spa_idp.endpoint("/introspect"), data={"token": token}, timeout=5,
                                  headers={"Origin": origins[0], "Authorization": basic(*service_client)})
    assert introspection.json()["active"] is True
    assert "Access-Control-Allow-Origin" not in introspection.headers  # resource servers are not browsers


def test_discovery_and_jwks_are_readable_from_any_origin(spa_idp, idp):
    for live in (spa_idp, idp):  # with or without CORS_ORIGIN
        for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server",
                     "/jwks.json"):
            response = requests.get(live.endpoint(path), headers={"Origin": "https://anyone.example"}, timeout=5)
            assert response.headers["Access-Control-Allow-Origin"] == "*", path
            again = requests.get(live.endpoint(path), headers={"If-None-Match": response.headers["ETag"]},
                                 timeout=5)
            assert again.status_code == 304 and again.headers["Access-Control-Allow-Origin"] == "*", path


def test_without_cors_origin_the_token_endpoint_answers_no_origin(idp, client):
    response = requests.post(idp.endpoint("/token"), data={"grant_type": "client_credentials"}, timeout=5,
                             headers={"Origin": "https://spa.example",
                                      "Authorization": basic(client.client_id, client.client_metadata["secret"])})
    assert "Access-Control-Allow-Origin" not in response.headers


FETCH_TOKEN = """async ([url, auth]) => {
  try {
    const r = await fetch(url, {method: "POST", body: "grant_type=client_credentials",
      headers: {"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"}});
    return {status: r.status, body: await r.json()};
  } catch (e) { return {blocked: String(e)}; }
}"""


def test_a_browser_app_on_the_listed_origin_gets_a_token_and_another_is_blocked(spa_idp, origins, service_client,
                                                                                 chromium):
    """The browser enforces it: an Authorization header makes the fetch preflighted."""
    results = []
    for origin in origins:
        page = chromium.new_page()
        page.goto(origin + "/")
        results.append(page.evaluate(FETCH_TOKEN, [spa_idp.endpoint("/token"), basic(*service_client)]))
        discovery = page.evaluate("async (u) => (await fetch(u)).ok",
                                  spa_idp.endpoint("/.well-known/openid-configuration"))
        assert discovery is True, origin
        page.close()
    allowed, other = results
    assert allowed.get("status") == 200 and allowed["body"]["token_type"] == "Bearer", allowed
    assert "blocked" in other, other


@pytest.mark.parametrize("value", ["*", "https://app.example.com/callback", "https://app.example.com:443",
                                   "https://user@app.example.com", "app.example.com", "https://App.example.com"])
def test_cors_origin_must_list_exact_origins(value):
    with pytest.raises(ConfigError, match="CORS_ORIGIN"):
        Config(cors_origin=value).validate()


def test_cors_origin_reads_the_previous_services_comma_list():
    config = Config(cors_origin="https://app.romapi.com, https://admin.romapi.com/")
    config.validate()
    assert config.cors_origins == ("https://app.romapi.com", "https://admin.romapi.com")


def test_production_needs_https_origins_except_loopback():
    production = dict(production=True, issuer="https://id.example.com", session_secret="s" * 16 + "abcdefghijklmnop",
                      key_encryption_key="k" * 16 + "abcdefghijklmnop", redis_url="redis://127.0.0.1:6379/0",
                      database_url="postgresql://u@127.0.0.1/db")
    Config(cors_origin="http://127.0.0.1:3000", **production).validate()
    with pytest.raises(ConfigError, match="CORS_ORIGIN.*https"):
        Config(cors_origin="http://app.example.com", **production).validate()


def test_frontend_url_must_be_an_absolute_url():
    with pytest.raises(ConfigError, match="FRONTEND_URL"):
        Config(frontend_url="app.example.com").validate()
