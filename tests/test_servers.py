"""`idp serve` as production runs it, on each server it offers (granian, the default, and
gunicorn): several workers on PostgreSQL and Redis, behind a trusted proxy address, in a subprocess
with its own database (time-bounded, always stopped).

Between two batches of requests the workers that served the first are stopped (the server starts
new ones), so the requests are served by several processes, dead and alive, whose counters must
all add up. Then SIGTERM: the server stops gracefully, within its grace period, exit status 0.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid

import pytest
import requests

from idp.store.migrate import upgrade

from .conftest import REDIS_URL, append_to_run_log, free_port, pg_database, remember_secret
from .test_metrics import sample

ISSUER = "https://id.example.test"
REQUESTS = 30


@pytest.fixture(scope="module", params=["granian", "gunicorn"])
def served_idp(request, tmp_path_factory):
    database_url, drop = pg_database("_" + request.param)
    upgrade(database_url)
    port, metrics_port = free_port(), free_port()
    multiproc_dir = tmp_path_factory.mktemp("prometheus")
    env = {
        **os.environ,
        "IDP_ENV": "production", "ISSUER": ISSUER, "PORT": str(port), "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": f"idptest:{uuid.uuid4().hex[:8]}:",
        "SESSION_SECRET": secrets.token_urlsafe(32), "KEY_ENCRYPTION_KEY": secrets.token_urlsafe(32),
        "METRICS_TOKEN": secrets.token_urlsafe(32), "METRICS_PORT": str(metrics_port),
        "TRUSTED_PROXIES": "127.0.0.1", "WEB_CONCURRENCY": "3",
        "PROMETHEUS_MULTIPROC_DIR": str(multiproc_dir), "LOG_LEVEL": "INFO", "IDP_SERVER": request.param,
    }
    remember_secret(env["SESSION_SECRET"], env["KEY_ENCRYPTION_KEY"], env["METRICS_TOKEN"])
    log_path = tmp_path_factory.mktemp(request.param) / "out.log"
    log = open(log_path, "w")
    process = subprocess.Popen([sys.executable, "-m", "idp.cli", "serve", "--host", "127.0.0.1"],
                               env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, time.monotonic() + 30, process, log_path)
        yield {"url": url, "metrics_url": f"http://127.0.0.1:{metrics_port}/metrics", "env": env,
               "log": log_path, "multiproc_dir": multiproc_dir, "master": process.pid, "process": process,
               "server": request.param}
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
        append_to_run_log(log_path.read_text())
        drop()


def log_records(served_idp) -> list[dict]:
    return [json.loads(line) for line in served_idp["log"].read_text().splitlines() if line.startswith("{")]


def get_from(source: str, url: str, path: str, headers: dict) -> tuple[int, bytes]:
    """A request from a given loopback address: 127.0.0.1 is the trusted proxy, 127.0.0.2 is not."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5, source_address=(source, 0))
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def worker_pids(served_idp) -> set[int]:
    """Workers that have counted something: prometheus_client names its files counter_<pid>.db."""
    names = os.listdir(served_idp["multiproc_dir"])
    pids = {int(n.removesuffix(".db").rsplit("_", 1)[1]) for n in names if n.startswith("counter_")}
    return pids - {served_idp["master"]}  # the master imported the app, so it has (empty) files too


def wait_until_serving(url: str, deadline: float, process=None, log_path=None) -> None:
    while True:
        try:
            if requests.get(url + "/health", timeout=2).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or workers still booting
            pass
        alive = process is None or process.poll() is None
        assert alive and time.monotonic() < deadline, log_path.read_text()[-3000:] if log_path else "not serving"
        time.sleep(0.1)


def fetch_jwks(served_idp, times: int) -> None:
    for _ in range(times):
        assert requests.get(served_idp["url"] + "/jwks.json", timeout=5).status_code == 200


def test_metrics_add_up_across_several_workers_dead_and_alive(served_idp):
    before = requests.get(served_idp["metrics_url"], timeout=5).text
    fetch_jwks(served_idp, REQUESTS // 2)
    first_workers = worker_pids(served_idp)
    for pid in first_workers:  # graceful stop; the master replaces them and child_exit marks them dead
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while any(os.path.exists(f"/proc/{pid}") for pid in first_workers):  # reaped by the master
        assert time.monotonic() < deadline
        time.sleep(0.1)
    wait_until_serving(served_idp["url"], deadline)  # granian: each worker listens itself (SO_REUSEPORT)
    fetch_jwks(served_idp, REQUESTS - REQUESTS // 2)
    after = requests.get(served_idp["metrics_url"], timeout=5).text
    labels = {"method": "GET", "status": "200", "endpoint": "/jwks.json"}
    assert sample(after, "http_requests_total", **labels) - sample(before, "http_requests_total", **labels) == REQUESTS
    assert len(worker_pids(served_idp) - first_workers) >= 1  # new workers served the second batch
    assert "active_sessions_total" in after


def test_metrics_on_the_main_port_need_the_bearer_token_and_show_every_worker(served_idp):
    url = served_idp["url"] + "/metrics"
    assert requests.get(url, timeout=5).status_code == 401
    token = served_idp["env"]["METRICS_TOKEN"]
    first = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert first.status_code == 200
    scraped = requests.get(served_idp["metrics_url"], timeout=5).text
    labels = {"method": "GET", "status": "200", "endpoint": "/jwks.json"}
    assert sample(first.text, "http_requests_total", **labels) == sample(scraped, "http_requests_total", **labels)


def test_issuer_stays_https_behind_the_proxy_and_ignores_spoofed_host(served_idp):
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example", "Host": "evil.example"}
    for source in ("127.0.0.1", "127.0.0.2"):
        status, body = get_from(source, served_idp["url"], "/.well-known/openid-configuration", headers)
        meta = json.loads(body)
        assert status == 200 and meta["issuer"] == ISSUER
        assert all(meta[k].startswith(ISSUER + "/") for k in ("token_endpoint", "jwks_uri", "userinfo_endpoint"))


def test_forwarded_headers_count_from_the_trusted_proxy_only(served_idp):
    """The access log shows what the app saw: client address and scheme."""
    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    trusted_id, untrusted_id = uuid.uuid4().hex, uuid.uuid4().hex
    get_from("127.0.0.1", served_idp["url"], "/health", {**headers, "X-Request-ID": trusted_id})
    get_from("127.0.0.2", served_idp["url"], "/health", {**headers, "X-Request-ID": untrusted_id})
    time.sleep(0.3)
    access = {r.get("request_id"): r for r in log_records(served_idp) if r.get("type") == "access"}
    assert (access[trusted_id]["remote_addr"], access[trusted_id]["scheme"]) == ("203.0.113.9", "https")
    assert (access[untrusted_id]["remote_addr"], access[untrusted_id]["scheme"]) == ("127.0.0.2", "http")


def test_access_log_is_json_without_query_strings(served_idp):
    hint = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    requests.get(served_idp["url"] + "/authorize", params={"id_token_hint": hint, "client_id": "x"}, timeout=5)
    time.sleep(0.3)
    text = served_idp["log"].read_text()
    assert hint not in text
    access = [r for r in log_records(served_idp) if r.get("type") == "access" and r["path"] == "/authorize"]
    assert access and access[-1]["status"] == 400 and access[-1]["request_id"]
    assert {"timestamp", "level", "method", "duration_ms"} <= set(access[-1])


def test_every_line_the_server_writes_is_json(served_idp):
    """Server lines (workers spawned and stopped) and the app's alike: one JSON object per line."""
    lines = [line for line in served_idp["log"].read_text().splitlines() if line.strip()]
    assert lines and [line for line in lines if not line.startswith("{")] == []


def test_sigterm_stops_gracefully_within_the_grace_period(served_idp):
    """Kubernetes sends SIGTERM, then SIGKILL after 30 s: the server must be gone before, exit 0.
    (Last in this module: the server does not come back.)"""
    process = served_idp["process"]
    assert requests.get(served_idp["url"] + "/health", timeout=5).status_code == 200
    started = time.monotonic()
    os.killpg(process.pid, signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert time.monotonic() - started < 26
