"""The bench's measuring devices: the stack's floor must do the protocol work it stands for, and the
floor table's arithmetic must say what share of a target the floor and the signatures take."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import sys
from urllib.parse import parse_qs, urlsplit

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench")
sys.path.insert(0, BENCH)

import authlib_floor_app as floor  # noqa: E402
import report  # noqa: E402
import run  # noqa: E402,F401  (run.py and everything it imports load)

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
    text = report.floor_table(floor_results, results, {"rs256": {"signs_per_s": 4000.0}}, verdicts)
    lines = text.splitlines()[1:]
    # token: 0.5 + 0.25 = 0.75 of 1.0 ms; introspection: 0.4 of 0.5 ms; code flow: 1.5 + 0.5 = 2.0 of 2.5 ms
    assert "0.75 ms of the target's 1.00 ms (75%), leaving +0.25 ms" in lines[0] and "it adds 0.25 ms" in lines[0]
    assert "0.40 ms of the target's 0.50 ms (80%), leaving +0.10 ms" in lines[1] and "it adds 0.20 ms" in lines[1]
    assert "2.00 ms of the target's 2.50 ms (80%), leaving +0.50 ms" in lines[2] and "it adds 1.00 ms" in lines[2]


# -- issue 20: ratios to node oidc-provider ---------------------------------------------------------
import json  # noqa: E402

import ratios  # noqa: E402
import refserver  # noqa: E402


def _result(rate: float, p99: float, cpu_ms: float) -> dict:
    return {"rps": rate, "p99_ms": p99, "server_cpu_ms_per_req": cpu_ms}


def test_ratio_rows_give_each_target_its_verdict():
    idp = {name: {32: _result(100.0, 10.0, 1.0), 8: _result(100.0, 10.0, 1.0)} for name in ratios.RATE_TARGETS}
    ref = {name: {32: _result(100.0, 10.0, 2.0), 8: _result(100.0, 10.0, 2.0)} for name in ratios.RATE_TARGETS}
    idp["discovery"][32]["rps"] = 150.0  # 1.5x: above the 1.0 target, below the 2.0 aim
    idp["token_cc"][32]["rps"] = 70.0  # 0.7x: below 0.8
    idp["introspect"][8]["p99_ms"] = 14.0  # 1.4x the reference's p99: within 1.5, not the aim 1.0
    idp["token_cc"][8]["p99_ms"] = 16.0  # 1.6x: above 1.5
    idp["code_flow"] = {32: {"flows_per_s": 80.0, "rps": 160.0, "p99_ms": 1.0, "server_cpu_ms_per_flow": 3.0},
                        8: {"flows_per_s": 100.0, "rps": 200.0, "p99_ms": 1.0, "server_cpu_ms_per_flow": 3.0}}
    ref["code_flow"] = {c: {"flows_per_s": 100.0, "rps": 200.0, "p99_ms": 1.0, "server_cpu_ms_per_flow": 2.0}
                        for c in (32, 8)}
    rows = {(r["what"], r["measure"], r["connections"]): r for r in ratios.ratio_rows(idp, ref, 90.0, 60.0)}
    assert rows[("discovery", "rate", 32)]["ratio"] == 1.5 and rows[("discovery", "rate", 32)]["verdict"] == "OK"
    assert rows[("jwks", "rate", 32)]["verdict"] == "OK"  # 1.0x: the target, not the 2.0 aim
    assert rows[("token_cc", "rate", 32)]["verdict"] == "BELOW"
    assert rows[("token_cc", "rate", 8)]["verdict"] == "AIM MET"
    assert rows[("introspect", "p99_ms", 8)]["verdict"] == "OK"
    assert rows[("token_cc", "p99_ms", 8)]["verdict"] == "ABOVE"
    assert rows[("code_flow", "rate", 32)]["ratio"] == 0.8 and rows[("code_flow", "rate", 32)]["verdict"] == "OK"
    assert rows[("code_flow", "rate", 32)]["cpu_ratio"] == 0.667  # the IdP spends 3 ms where the reference 2
    assert rows[("token_cc", "rate", 32)]["cpu_ratio"] == 2.0
    assert not rows[("jwks", "rate", 32)]["loadgen_bound"]
    ref["jwks"][32]["loadgen_cpu_pct"] = 97.0  # wrk's core was full: the reference's rate may be wrk's limit
    assert ratios.ratio_rows(idp, ref, 90.0, 60.0)[2]["loadgen_bound"] is True
    assert rows[("peak RSS", "MiB", None)]["ratio"] == 1.5 and rows[("peak RSS", "MiB", None)]["verdict"] == "ABOVE"
    text = ratios.ratio_table(list(rows.values()), "node oidc-provider 8.8.1", "idp serve")
    assert len(text.splitlines()) == 3 + len(rows) + 2 and "BELOW" in text and "1.50x" in text
    assert "^" not in "".join(text.splitlines()[3:-2])


def test_reference_is_pinned_with_a_lockfile():
    """bench/reference: one exact oidc-provider version, locked, which run.py installs with `npm ci`."""
    pinned = refserver.pinned_version()
    assert pinned[0].isdigit() and not any(c in pinned for c in "^~*<>x ")
    with open(os.path.join(refserver.REFERENCE_DIR, "package-lock.json")) as handle:
        lock = json.load(handle)
    assert lock["packages"]["node_modules/oidc-provider"]["version"] == pinned


def test_reference_settings_carry_the_idps_clients_and_user():
    clients = {name: {"client_id": f"{name}-id", "client_secret": f"{name}-secret", "redirect_uris": []}
               for name in ("cc", "rp")}
    server = refserver.ReferenceServer(clients, "u@example.com", "pw")
    assert server.settings == {"port": server.port, "user": {"email": "u@example.com", "password": "pw"},
                               "cc": {"client_id": "cc-id", "client_secret": "cc-secret"},
                               "rp": {"client_id": "rp-id", "client_secret": "rp-secret"}}
    assert server.opaque_resource == f"http://127.0.0.1:{server.port}/opaque-api"
    assert server.stop() == []  # never started: nothing to stop


CLIENTS = {"cc": {"client_id": "bench-cc", "client_secret": "cc-" + "s" * 40},
           "rp": {"client_id": "bench-rp", "client_secret": "rp-" + "s" * 40}}


@contextlib.contextmanager
def reference_server(tmp_path):
    """bench/reference/server.js with CLIENTS and a user (bench@example.com, "right password"), stopped after."""
    refserver.ensure_installed(log=lambda message: None)
    server = refserver.ReferenceServer(CLIENTS, "bench@example.com", "right password")
    try:
        server.start(core=0, log_path=str(tmp_path / "reference.log"))
        yield server, CLIENTS
    finally:
        assert server.stop() == []


def test_reference_server_issues_rs256_jwt_access_tokens_and_runs_the_code_flow(tmp_path):
    """bench/reference/server.js as run.py configures it: RFC 9068 JWT access tokens signed RS256 for the
    client_credentials client (RFC 6749 4.4), an opaque token that introspects active (RFC 7662 2.2), and
    the code flow with PKCE S256 (RFC 7636) after a login through its interaction pages, then carried by
    the session cookie alone; a wrong password signs nobody in."""
    import requests
    from joserfc import jwt
    from joserfc.jwk import KeySet

    import codeflow

    with reference_server(tmp_path) as (server, clients):
        http = requests.Session()
        http.trust_env = False
        cc = (clients["cc"]["client_id"], clients["cc"]["client_secret"])
        token = http.post(server.url + "/token", data={"grant_type": "client_credentials"}, auth=cc).json()
        keys = KeySet.import_key_set(http.get(server.url + "/jwks.json").json())
        decoded = jwt.decode(token["access_token"], keys, algorithms=["RS256"])  # verifies the signature
        assert decoded.header["alg"] == "RS256" and decoded.header["typ"] == "at+jwt"
        assert decoded.claims["client_id"] == "bench-cc" and decoded.claims["aud"] == server.url + "/api"
        opaque = http.post(server.url + "/token", auth=cc, data={
            "grant_type": "client_credentials", "resource": server.opaque_resource}).json()["access_token"]
        assert opaque.count(".") == 0
        assert http.post(server.url + "/introspect", auth=cc, data={"token": opaque}).json()["active"] is True
        assert http.post(server.url + "/introspect", auth=cc, data={"token": opaque + "x"}).json() == {"active": False}

        session = codeflow.login_by_redirect(server.url, "bench-rp", "bench@example.com", "right password")
        flow = codeflow.run(server.url, "bench-rp", clients["rp"]["client_secret"], session.cookies, 1, 1.0,
                            warmup=0.0)
        assert flow["flows"] >= 1 and flow["errors"] == 0, flow
        try:
            codeflow.login_by_redirect(server.url, "bench-rp", "bench@example.com", "wrong password")
        except RuntimeError as exc:
            assert "401" in str(exc)
        else:
            raise AssertionError("a wrong password signed in")
    assert server.proc.poll() is not None


# -- issue 20, "Scale as data grows": bench/scale.py's verdicts and seeded rows ----------------------
def test_scale_verdicts_and_seeded_rows():
    """Rates must keep 0.90 of the empty database's, the worker's CPU per operation stay under 1.10 of it;
    the seeded refresh families are mostly live, every row pointing at a seeded user."""
    import datetime as dt

    import scale
    import seedutil

    def figures(rate: float, cpu_ms: float) -> dict:
        return {"rps": rate, "server_cpu_ms_per_req": cpu_ms, "p50_ms": 1.0, "p99_ms": 2.0, "errors": 0}

    empty = {name: figures(100.0, 1.0) for name in scale.FIGURES}
    seeded = {name: figures(95.0, 1.05) for name in scale.FIGURES}
    seeded["refresh"] = figures(85.0, 1.2)  # 0.85x the rate, 1.2x the CPU: both beyond 10%
    rows = {(r["figure"], r["measure"]): r for r in scale.comparison(empty, seeded)}
    assert rows[("token", "rate")]["ratio"] == 0.95 and rows[("token", "rate")]["verdict"] == "within 10%"
    assert rows[("token", "CPU/op")]["verdict"] == "within 10%"
    assert rows[("refresh", "rate")]["verdict"] == rows[("refresh", "CPU/op")]["verdict"] == "NOT within 10%"
    assert rows[("introspection", "p99")]["verdict"] == ""  # context, no target
    seeding = {"seconds": 1.0, "steps_seconds": {"users": 1.0}}
    assert "NOT within 10%" in scale.table(list(rows.values()), "tiny", seeding)

    now = dt.datetime(2026, 1, 1)
    users = 7
    refresh = list(seedutil.refresh_rows(1000, now, scale.family_fate, lambda f: (seedutil.user_id(f % users), "c")))
    assert len(refresh) == 1000 and all(len(row) == len(seedutil.REFRESH_COLUMNS) for row in refresh)
    current = [row for row in refresh if row[8] is None]  # the last token of each family, never rotated
    live = [row for row in current if row[7] > now and row[9] is None]
    assert len(current) == 200 and len(live) == 140  # 7 families in 10 live
    assert {row[3] for row in refresh} == {seedutil.user_id(n) for n in range(users)}
    seeded_users = list(seedutil.user_rows(users, now, "hash"))
    assert [row[0] for row in seeded_users] == [seedutil.user_id(n) for n in range(users)]
    assert all(len(row[0]) == 36 for row in seeded_users)  # users.id is String(36)


# -- issue 37: the refresh_token grant with rotation beside the reference's -------------------------
def test_refresh_ratio_targets_and_runs_of_a_subset():
    """refresh: at least 0.8x the reference's refreshes/s (aim 1.0x), p99 at 8 connections at most 1.2x;
    a run of a subset (run.py --only) gives the rows of what it measured, and the tables still print."""
    def refresh(rate: float, p99: float, cpu_ms: float) -> dict:
        return {"refreshes_per_s": rate, "rps": rate, "p50_ms": 1.0, "p99_ms": p99, "server_cpu_ms_per_req": cpu_ms,
                "errors": 0, "server_cpu_pct": 50.0, "other_cpu_pct": 0.0, "reuse_detected": True}

    idp = {"refresh": {32: refresh(85.0, 20.0, 4.0), 8: refresh(70.0, 13.0, 4.0)}}
    ref = {"refresh": {32: refresh(100.0, 20.0, 2.0), 8: refresh(100.0, 10.0, 2.0)}}
    rows = {(r["what"], r["measure"], r["connections"]): r for r in ratios.ratio_rows(idp, ref, 90.0, 60.0)}
    assert set(rows) == {("refresh", "rate", 32), ("refresh", "rate", 8), ("refresh", "p99_ms", 8),
                         ("peak RSS", "MiB", None)}
    assert rows[("refresh", "rate", 32)]["verdict"] == "OK" and rows[("refresh", "rate", 32)]["cpu_ratio"] == 0.5
    assert rows[("refresh", "rate", 8)]["verdict"] == "BELOW"  # 0.7x
    assert rows[("refresh", "p99_ms", 8)]["ratio"] == 1.3 and rows[("refresh", "p99_ms", 8)]["verdict"] == "ABOVE"
    idp["refresh"][8]["p99_ms"] = 12.0  # 1.2x: the limit itself
    assert ratios.ratio_rows(idp, ref, 90.0, 60.0)[2]["verdict"] == "OK"

    baseline = {"rs256": {"signs_per_s": 1000.0}, "bare_flask": {"rps": 2000.0, "p50_ms": 1.0, "p99_ms": 2.0,
                                                                  "other_cpu_pct": 0.0}}
    verdicts = report.evaluate(idp, baseline, 100.0)  # no absolute target for refresh: none evaluated
    assert set(verdicts) == {"peak_rss"} and idp["refresh"][32]["ratio_to_rs256"] == 0.085  # one signature each
    report.annotate(ref, baseline)
    assert "refresh" in report.table(idp, baseline, verdicts, 100.0, 90.0)
    assert "refresh" in report.reference_table(ref, "8.8.1", 60.0)


def test_refresh_chains_rotate_and_reuse_is_detected_on_the_reference(tmp_path):
    """bench/refresh.js against bench/reference/server.js: the trusted client asking for offline_access
    gets a refresh token without a consent prompt (OIDC Core 11), each refresh returns a new one
    (rotation) and a rotated one presented again is refused, revoking the chain (RFC 9700 4.14.2);
    a code flow without offline_access still gets no refresh token."""
    import subprocess

    import codeflow

    with reference_server(tmp_path) as (server, clients):
        proc = subprocess.run(["node", os.path.join(BENCH, "refresh.js"), "--url", server.url,
                               "--client-id", "bench-rp", "--client-secret", clients["rp"]["client_secret"],
                               "--email", "bench@example.com", "--password", "right password",
                               "--login-by-redirect", "--concurrency", "2", "--duration", "1"],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert result["refreshes"] >= 2 and result["errors"] == 0, result
        assert result["chains_started"] == 2 and result["reuse_detected"] is True

        session = codeflow.login_by_redirect(server.url, "bench-rp", "bench@example.com", "right password")
        verifier, challenge = codeflow.pkce_pair()
        response = session.get(server.url + "/authorize", allow_redirects=False, timeout=10,
                               params=codeflow.authorize_params("bench-rp", challenge))  # scope openid
        code = parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]
        token = session.post(server.url + "/token", timeout=10, auth=("bench-rp", clients["rp"]["client_secret"]),
                             data={"grant_type": "authorization_code", "code": code,
                                   "redirect_uri": codeflow.REDIRECT_URI, "code_verifier": verifier}).json()
        assert "access_token" in token and "refresh_token" not in token
