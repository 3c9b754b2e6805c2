"""Who may exchange tokens (RFC 8693) is an operator's decision: the grant type and its two settings
(impersonation, refresh tokens) are set through the admin API, the console and the CLI, and refused
in dynamic registration (RFC 7591) and in a client's own RFC 7592 update beyond what it was given."""

from __future__ import annotations

import json

import pytest
import requests

from ..admin_api import admin_session
from ..admin_console_flows import console, post_form  # noqa: F401  (fixture)
from ..conftest import REDIRECT_URI
from ..test_apis_cli import cli, ok
from ..test_registration import register

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
SERVICE = {"client_name": "Exchanging service", "grant_types": ["client_credentials"], "scope": "openid"}


@pytest.mark.parametrize("asked", [{"grant_types": ["client_credentials", EXCHANGE]},
                                   {"token_exchange_impersonation": True},
                                   {"token_exchange_refresh_tokens": True}])
def test_dynamic_registration_cannot_ask_for_token_exchange_rfc7591_3_2_2(idp, asked):
    token = idp.services.initial_access_tokens.create(600, uses=1)
    response = register(idp, {**SERVICE, **asked}, token)
    assert response.status_code == 400 and response.json()["error"] == "invalid_client_metadata", response.text
    assert "operator" in response.json()["error_description"]


def test_rfc7592_update_keeps_what_an_operator_gave_and_takes_nothing_more_rfc7592_2_2(idp):
    token = idp.services.initial_access_tokens.create(600, uses=1)
    registered = register(idp, SERVICE, token).json()
    client_id, headers = registered["client_id"], {"Authorization": f"Bearer {registered['registration_access_token']}"}
    session = admin_session(idp)
    current = session.get(f"/clients/{client_id}")
    given = session.patch(f"/clients/{client_id}", json={"grant_types": ["client_credentials", EXCHANGE]},
                          headers={"If-Match": current.headers["ETag"]})
    assert given.status_code == 200, given.text
    own = {**SERVICE, "client_id": client_id, "grant_types": ["client_credentials", EXCHANGE]}
    kept = requests.put(registered["registration_client_uri"], json=own, headers=headers, timeout=5)
    assert kept.status_code == 200 and EXCHANGE in kept.json()["grant_types"], kept.text
    more = requests.put(registered["registration_client_uri"], json={**own, "token_exchange_impersonation": True},
                        headers=headers, timeout=5)
    assert more.status_code == 400 and more.json()["error"] == "invalid_client_metadata", more.text


def test_admin_api_gives_token_exchange_and_refuses_it_to_public_clients_rfc8693_2_1(idp):
    session = admin_session(idp)
    created = session.post("/clients", json={**SERVICE, "grant_types": ["client_credentials", EXCHANGE],
                                             "token_exchange_impersonation": True})
    assert created.status_code == 201, created.text
    assert created.json()["token_exchange_impersonation"] is True and EXCHANGE in created.json()["grant_types"]
    public = session.post("/clients", json={"client_name": "SPA", "redirect_uris": [REDIRECT_URI],
                                            "token_endpoint_auth_method": "none",
                                            "grant_types": ["authorization_code", EXCHANGE]})
    assert public.status_code == 400 and "grant_types" in public.text, public.text
    loose = session.post("/clients", json={**SERVICE, "token_exchange_refresh_tokens": True})
    assert loose.status_code == 400 and "token_exchange_refresh_tokens" in loose.text, loose.text


def test_cli_turns_token_exchange_on_and_off(idp):
    client, _ = idp.create_client(name="CLI service", redirect_uris=[], grant_types=["client_credentials"], scope="")
    ok(idp, "clients", "token-exchange", client.client_id, "--impersonation")
    on = idp.services.clients.get(client.client_id, fresh=True)
    assert EXCHANGE in on.grant_types and on.client_metadata["token_exchange_impersonation"] is True
    ok(idp, "clients", "token-exchange", client.client_id, "--off")
    off = idp.services.clients.get(client.client_id, fresh=True)
    assert EXCHANGE not in off.grant_types and "token_exchange_impersonation" not in off.client_metadata
    result = cli(idp, "clients", "token-exchange", "no-such-client")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    created = json.loads(ok(idp, "clients", "create", "--name", "CLI exchanger", "--grant-type", "client_credentials",
                            "--grant-type", EXCHANGE, "--token-exchange-refresh-tokens", "--json"))
    made = idp.services.clients.get(created["client_id"], fresh=True)
    assert EXCHANGE in made.grant_types and made.client_metadata["token_exchange_refresh_tokens"] is True
    loose = cli(idp, "clients", "create", "--name", "Loose", "--token-exchange-impersonation")  # without the grant
    assert loose.returncode != 0 and "token_exchange_impersonation" in loose.stderr, loose.stderr


def test_console_switches_token_exchange_for_a_confidential_client(idp, console):  # noqa: F811
    browser, _ = console
    client, _ = idp.create_client(name="Console service", redirect_uris=[], grant_types=["client_credentials"],
                                  scope="openid")
    path = f"/admin/clients/{client.client_id}"
    page = browser.go(idp.endpoint(path))
    assert 'name="token_exchange"' in page.text
    saved = post_form(browser, path, page, name="Console service", scope="openid", redirect_uris="",
                      token_exchange="y", exchange_refresh_tokens="y")
    assert saved.status_code == 200, saved.text[:500]
    on = idp.services.clients.get(client.client_id, fresh=True)
    assert EXCHANGE in on.grant_types and on.client_metadata["token_exchange_refresh_tokens"] is True
    assert "token_exchange_impersonation" not in on.client_metadata
    page = browser.go(idp.endpoint(path))
    post_form(browser, path, page, name="Console service", scope="openid", redirect_uris="")
    assert EXCHANGE not in idp.services.clients.get(client.client_id, fresh=True).grant_types
