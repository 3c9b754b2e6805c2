"""Who may call the admin API (issue 15): a confidential client an operator granted admin:read /
admin:write, with its own client_credentials token (bearer, or DPoP-bound). Nothing else obtains
those scopes: not dynamic registration, not a user's authorization or consent, not a refresh."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import requests
from authlib.common.security import generate_token

from .admin_api import PREFIX, AdminSession, admin_client, admin_session, client_token
from .conftest import remember_secret, start_idp
from .test_code_flow import relying_party, run_code_flow
from .test_dpop import proof


def test_no_token_is_401_with_a_bearer_challenge_rfc6750_3(idp):
    response = AdminSession(idp, None).get("/users")
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert 'scope="admin:read"' in response.headers["WWW-Authenticate"]


def test_invalid_token_is_401_invalid_token_rfc6750_3_1(idp):
    response = AdminSession(idp, "not-a-token").get("/users")
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_reads_need_admin_read_and_writes_admin_write_rfc6750_3_1(idp):
    reader = admin_session(idp, scope="admin:read")
    assert reader.get("/users").status_code == 200
    refused = reader.post("/users", json={"email": "never@example.com"})
    assert refused.status_code == 403 and refused.json()["code"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    assert 'scope="admin:write"' in refused.headers["WWW-Authenticate"]
    assert idp.services.users.by_email("never@example.com") is None

    writer = admin_session(idp, scope="admin:write")
    assert writer.get("/users").status_code == 403
    assert writer.post("/users", json={"email": f"w-{generate_token(6).lower()}@example.com"}).status_code == 201


def test_client_cannot_ask_for_an_admin_scope_it_was_not_granted_rfc6749_5_2(idp):
    client, secret = admin_client(idp, scope="admin:read")
    response = client_token(idp, client.client_id, secret, scope="admin:read admin:write")
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"
    plain, plain_secret = idp.create_client(redirect_uris=[], grant_types=["client_credentials"], scope="openid")
    response = client_token(idp, plain.client_id, plain_secret, scope="admin:read")
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"


def test_scope_taken_from_the_client_stops_its_live_tokens(idp):
    session = admin_session(idp, scope="admin:read")
    assert session.get("/users").status_code == 200
    with idp.services.db.session() as db:
        from idp.store.models import Client

        db.get(Client, session.client_id).scope = "openid"
    response = session.get("/users")
    assert response.status_code == 403 and response.json()["code"] == "insufficient_scope"


def test_dpop_bound_admin_token_is_accepted_with_its_proof_rfc9449_7_1(idp):
    client, secret = admin_client(idp, scope="admin:read")
    response = requests.post(idp.endpoint("/token"), auth=(client.client_id, secret), timeout=5,
                             headers={"DPoP": proof(idp)}, data={"grant_type": "client_credentials",
                                                                 "scope": "admin:read"})
    assert response.status_code == 200 and response.json()["token_type"] == "DPoP", response.text
    token = response.json()["access_token"]
    remember_secret(token)
    url = idp.endpoint(PREFIX + "/users")
    ok = requests.get(url, timeout=5, headers={"Authorization": f"DPoP {token}",
                                               "DPoP": proof(url, method="GET", access_token=token)})
    assert ok.status_code == 200, ok.text
    as_bearer = requests.get(url, timeout=5, headers={"Authorization": f"Bearer {token}"})
    assert as_bearer.status_code == 401  # RFC 9449 7.2: a bound token is not a bearer token
    no_proof = requests.get(url, timeout=5, headers={"Authorization": f"DPoP {token}"})
    assert no_proof.status_code == 401 and no_proof.headers["WWW-Authenticate"].startswith("DPoP ")


def test_dynamic_registration_refuses_admin_scopes_rfc7591_3_2_2(idp):
    initial = idp.services.initial_access_tokens.create(600, 1)
    remember_secret(initial)
    response = requests.post(idp.endpoint("/connect/register"), timeout=5,
                             headers={"Authorization": f"Bearer {initial}"},
                             json={"client_name": "Sneaky", "grant_types": ["client_credentials"],
                                   "scope": "openid admin:read"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_client_metadata", response.text


def test_registration_update_refuses_admin_scopes_rfc7592_2_2(idp):
    initial = idp.services.initial_access_tokens.create(600, 1)
    remember_secret(initial)
    app = {"client_name": "Registered", "grant_types": ["client_credentials"], "response_types": [],
           "scope": "openid"}
    made = requests.post(idp.endpoint("/connect/register"), timeout=5, json=app,
                         headers={"Authorization": f"Bearer {initial}"}).json()
    remember_secret(made["registration_access_token"], made["client_secret"])
    response = requests.put(made["registration_client_uri"], timeout=5,
                            headers={"Authorization": f"Bearer {made['registration_access_token']}"},
                            json={**app, "client_id": made["client_id"], "scope": "openid admin:write"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_client_metadata", response.text
    assert idp.services.clients.get(made["client_id"]).scope == "openid"


def test_device_authorization_never_carries_admin_scopes_rfc8628_3_1(idp):
    from idp.tokens.device_authorizations import DeviceStore

    client, secret = idp.create_client(redirect_uris=[], scope="openid admin:read",
                                       grant_types=["urn:ietf:params:oauth:grant-type:device_code"])
    for scope in ("openid admin:read", None):
        response = requests.post(idp.endpoint("/device_authorization"), auth=(client.client_id, secret), timeout=5,
                                 data={"scope": scope} if scope else {})
        assert response.status_code == 200, response.text
        remember_secret(response.json()["device_code"])
        stored = DeviceStore(idp.services.store).by_device_code(response.json()["device_code"])
        assert stored.get_scope() == "openid"


def test_user_authorization_never_grants_admin_scopes_rfc6749_3_3(idp, browser, user):
    """Even for a client an operator registered with them: a user's consent confers no admin scope
    (openid requests drop it; a plain OAuth request naming it is invalid_scope), nor does a refresh."""
    client, secret = idp.create_client(scope="openid offline_access admin:read admin:write",
                                       grant_types=["authorization_code", "refresh_token"])
    import dataclasses

    client = dataclasses.replace(client, client_metadata={"secret": secret})
    rp, meta, token, _, _ = run_code_flow(idp, browser, client, user,
                                          scope="openid offline_access admin:read admin:write")
    assert set(token["scope"].split()) == {"openid", "offline_access"}
    assert AdminSession(idp, token["access_token"]).get("/users").status_code == 403

    refreshed = requests.post(meta["token_endpoint"], auth=(client.client_id, secret), timeout=5,
                              data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"],
                                    "scope": "openid admin:read"})
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_scope"

    rp, meta = relying_party(idp, client, scope="admin:read")
    url, _ = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=generate_token(48))
    response = browser.authorize(url, user.email)
    assert response.status_code == 302 and "error=invalid_scope" in response.headers["Location"]


def test_idp_clients_create_with_repeated_scope_makes_an_admin_client(idp):
    result = subprocess.run([sys.executable, "-m", "idp.cli", "clients", "create", "--name", "Automation",
                             "--grant-type", "client_credentials", "--scope", "admin:read", "--scope", "admin:write",
                             "--json"], env=idp.cli_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    made = json.loads(result.stdout)
    remember_secret(made["client_secret"])
    assert made["scope"] == "admin:read admin:write"
    token = client_token(idp, made["client_id"], made["client_secret"])
    assert token.status_code == 200, token.text
    assert AdminSession(idp, token.json()["access_token"]).get("/users").status_code == 200


def test_a_client_over_its_budget_is_429_with_a_metric_and_an_audit_event(tmp_path_factory):
    live, stop = start_idp("postgres", tmp_path_factory, admin_api_rate_limit=3, admin_api_rate_window=60)
    try:
        session = admin_session(live, scope="admin:read")
        statuses = [session.get("/users").status_code for _ in range(5)]
        assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429], statuses
        limited = session.get("/users")
        assert limited.json()["code"] == "rate_limited" and int(limited.headers["Retry-After"]) >= 1
        counted = [line for line in live.scrape().splitlines() if line.startswith("admin_api_rate_limited_total ")]
        assert counted and float(counted[0].split()[1]) >= 3
        deadline = time.monotonic() + 5
        events = []
        while not events and time.monotonic() < deadline:
            events = live.services.audit_events.list(action="admin_api.rate_limited")
        assert len(events) == 1 and events[0].actor == f"client:{session.client_id}"  # once per window
    finally:
        stop()
