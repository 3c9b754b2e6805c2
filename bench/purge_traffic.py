"""The token endpoint while the purge runs (issue 16): its p50/p99 with and without a purge deleting
millions of rows next to it, on a production-mode `idp serve` (one worker on core 0, wrk on core 1,
client_credentials, 8 connections).

    .venv/bin/python bench/purge_traffic.py [--refresh 2000000] [--audit 200000] [--window 10]
                                            [--connections 8] [--timeout 2400]

Seeds the refresh tokens (80% purgeable) and audit events with COPY into the server's own database
(bench/purge.py's rows), measures a window of token requests with no purge, then measures window
after window while one purge runs in this process, then one more window after it. Prints one JSON
object. Time-bounded by a watchdog; the server, the database and the Redis keys go on every exit.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from purge import seed  # noqa: E402
from seedutil import Watchdog, time_bound  # noqa: E402
from wrkutil import BENCH_DIR, Deployment, child_pids, run_wrk  # noqa: E402

SERVER_CORE, LOADGEN_CORE = 0, 1


def window(deployment: Deployment, body: str, auth: str, seconds: float, connections: int, worker: int) -> dict:
    result = run_wrk(deployment.url + "/token", connections, seconds, core=LOADGEN_CORE,
                     script=os.path.join(BENCH_DIR, "post.lua"), script_args=[body, auth], server_pid=worker)
    return {k: result.get(k) for k in ("rps", "p50_ms", "p99_ms", "non2xx", "socket_errors")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--refresh", type=int, default=2_000_000)
    parser.add_argument("--audit", type=int, default=200_000)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--timeout", type=int, default=2400)
    args = parser.parse_args()
    result: dict = {"refresh_rows": args.refresh, "audit_rows": args.audit, "connections": args.connections,
                    "window_s": args.window}
    deployment = Deployment("purgetraffic")
    try:
        with time_bound(args.timeout):
            measure(deployment, args, result)
    except Watchdog as stopped:
        result["stopped"] = str(stopped)
    finally:
        result["cleanup_problems"] = deployment.teardown()
    print(json.dumps(result, indent=2))


def measure(deployment: Deployment, args, result: dict) -> None:
    from idp.store.db import Database
    from idp.store.purge import Purge, Retention

    deployment.create_database()
    cc = json.loads(deployment.cli("clients", "create", "--name", "bench", "--grant-type", "client_credentials",
                                   "--json"))
    url = deployment.env["DATABASE_URL"]
    started = time.monotonic()
    seed(url, args.refresh, args.audit, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))
    result["seed_seconds"] = round(time.monotonic() - started, 1)
    deployment.start_server(SERVER_CORE, 1, os.path.join(BENCH_DIR, "results", "purge-traffic-server.log"))
    worker = child_pids(deployment.server.pid)[0]
    auth = "Basic " + base64.b64encode(f"{cc['client_id']}:{cc['client_secret']}".encode()).decode()
    body = "grant_type=client_credentials"
    window(deployment, body, auth, 3, args.connections, worker)  # warm-up
    result["without_purge"] = window(deployment, body, auth, args.window, args.connections, worker)

    db = Database(url)
    report: dict = {}

    def purge() -> None:
        began = time.monotonic()
        done = Purge(db, Retention()).run()
        report.update(rows=done.rows if done else None, seconds=round(time.monotonic() - began, 1))

    thread = threading.Thread(target=purge, name="bench-purge", daemon=True)
    thread.start()
    during = []
    while thread.is_alive():
        during.append(window(deployment, body, auth, args.window, args.connections, worker))
    thread.join()
    db.dispose()
    result["during_purge"] = during
    result["purge"] = report
    if report.get("rows"):
        report["rows_per_s"] = round(sum(report["rows"].values()) / max(report["seconds"], 1e-9))
    result["after_purge"] = window(deployment, body, auth, args.window, args.connections, worker)
    p99s = sorted(w["p99_ms"] for w in during if w.get("p99_ms") is not None)
    if p99s:
        result["p99_during_ms"] = {"median": p99s[len(p99s) // 2], "max": p99s[-1], "windows": len(p99s)}


if __name__ == "__main__":
    main()
