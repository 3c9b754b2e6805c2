"""The bench's measuring devices: the stack's floor must do the protocol work it stands for, and the
floor table's arithmetic must say what share of a target the floor and the signatures take."""

from __future__ import annotations

import base64
import hashlib
import os
import sys
from urllib.parse import parse_qs, urlsplit

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench")
sys.path.insert(0, BENCH)

import authlib_floor_app as floor  # noqa: E402
import run  # noqa: E402

AUTH = {"Authorization": "Basic " + base64.b64encode(f"{floor.CLIENT_ID}:{floor.CLIENT_SECRET}".encode()).decode()}


def authorize(client, verifier: str) -> str:
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    response = client.get("/authorize", query_string={
        "response_type": "code", "client_id": floor.CLIENT_ID, "redirect_uri": floor.REDIRECT_URI, "scope": "openid",
        "state": "s", "code_challenge": challenge, "code_challenge_method": "S256"})
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]


def redeem(client, code: str, verifier: str):
    return client.post("/token", headers=AUTH, data={"grant_type": "authorization_code", "code": code,
                                                     "redirect_uri": floor.REDIRECT_URI, "code_verifier": verifier})


def test_floor_app_runs_the_code_flow_with_pkce_and_one_time_codes():
    client = floor.app.test_client()
    verifier = "v" * 50
    code = authorize(client, verifier)
    assert redeem(client, code, "w" * 50).json["error"] == "invalid_grant"  # wrong verifier (RFC 7636 4.6)
    code = authorize(client, verifier)
    token = redeem(client, code, verifier)
    assert token.status_code == 200 and {"access_token", "id_token"} <= set(token.json)
    assert redeem(client, code, verifier).json["error"] == "invalid_grant"  # one time
    assert client.post("/token", data={"grant_type": "client_credentials"}).status_code == 401
    assert client.post("/introspect", headers=AUTH, data={"token": "abc"}).json["active"] is True


def test_floor_table_shares_of_each_target():
    floor_results = {"token_cc": {"server_cpu_ms_per_req": 0.5}, "introspect": {"server_cpu_ms_per_req": 0.4},
                     "code_flow": {"server_cpu_ms_per_flow": 1.5}}
    results = {"token_cc": {32: {"server_cpu_ms_per_req": 1.0}}, "introspect": {32: {"server_cpu_ms_per_req": 0.6}},
               "code_flow": {32: {"server_cpu_ms_per_flow": 3.0}}}
    verdicts = {"token_cc": {"min_rate": 1000.0}, "introspect": {"min_rate": 2000.0}, "code_flow": {"min_rate": 400.0}}
    text = run.floor_table(floor_results, results, {"rs256": {"signs_per_s": 4000.0}}, verdicts)
    lines = text.splitlines()[1:]
    # token: 0.5 + 0.25 = 0.75 of 1.0 ms; introspection: 0.4 of 0.5 ms; code flow: 1.5 + 0.5 = 2.0 of 2.5 ms
    assert "0.75 ms of the target's 1.00 ms (75%), leaving +0.25 ms" in lines[0] and "it adds 0.25 ms" in lines[0]
    assert "0.40 ms of the target's 0.50 ms (80%), leaving +0.10 ms" in lines[1] and "it adds 0.20 ms" in lines[1]
    assert "2.00 ms of the target's 2.50 ms (80%), leaving +0.50 ms" in lines[2] and "it adds 1.00 ms" in lines[2]
