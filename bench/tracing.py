"""What OpenTelemetry tracing costs the token endpoint (issue 35 part 3): client_credentials tokens
per second and CPU per token on one core, tracing off and on (every request sampled, spans batched
and exported over OTLP/HTTP to a receiver in another process on the other core), in-process through
the whole WSGI stack (the Flask test client calls the same app.wsgi_app a server calls).

Tracing patches process-wide libraries, so each mode runs in a child process of its own; modes
alternate over --runs rounds (machines of this kind are noisy: read the rounds side by side).
Time-bounded, cleans up on every exit path; not a test.

    .venv/bin/python bench/tracing.py [--duration 5] [--runs 2] [--cpu 1]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seedutil import REDIS_URL, throwaway_database, time_bound  # noqa: E402

RECEIVER = """
import http.server, os, sys
os.sched_setaffinity(0, {int(sys.argv[2])})
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def child(mode: str, duration: float, cpu: int, endpoint: str, database_url: str) -> dict:
    os.sched_setaffinity(0, {cpu})
    from idp.app import create_app
    from idp.config import Config
    from idp.services import build_services

    config = Config(issuer="http://127.0.0.1:9", database_url=database_url, redis_url=REDIS_URL,
                    redis_prefix=f"idpbench:{uuid.uuid4().hex[:8]}:", session_secret=secrets.token_urlsafe(32),
                    key_encryption_key=os.environ["IDP_BENCH_KEK"], rate_limit_max_requests=10**9,
                    otel_traces_endpoint=endpoint + "/v1/traces" if mode == "on" else "")
    services = build_services(config)
    try:
        http = create_app(services=services).test_client()
        client, secret = services.clients.create(name="Traced", redirect_uris=[], scope="",
                                                 grant_types=["client_credentials"])
        auth = (client.client_id, secret)

        def rate(seconds: float) -> tuple[float, float]:
            done, start, cpu_start = 0, time.monotonic(), time.process_time()
            while time.monotonic() < start + seconds:
                response = http.post("/token", data={"grant_type": "client_credentials"}, auth=auth)
                assert response.status_code == 200, response.text
                done += 1
            return done / (time.monotonic() - start), (time.process_time() - cpu_start) * 1000 / done

        rate(0.5)  # warm-up: caches, connections, the exporter's first batch
        per_second, cpu_ms = rate(duration)
        return {"mode": mode, "tokens_per_second": round(per_second, 1), "cpu_ms_per_token": round(cpu_ms, 3)}
    finally:
        services.store.flush_prefix()
        services.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per mode and round")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--cpu", type=int, default=1, help="the core the IdP is pinned to (the receiver: another)")
    parser.add_argument("--child", choices=["off", "on"], help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", default="", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.duration, args.cpu, args.endpoint, args.database_url)))
        return
    other = next((c for c in sorted(os.sched_getaffinity(0)) if c != args.cpu), args.cpu)
    with time_bound(int(args.duration * 4 * args.runs + 240)), throwaway_database("tracing") as database_url:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        os.environ["IDP_BENCH_KEK"] = secrets.token_urlsafe(32)  # the children share the database's keys
        receiver = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port), str(other)])
        rounds = []
        try:
            for _ in range(args.runs):
                row = {}
                for mode in ("off", "on"):
                    out = subprocess.run([sys.executable, __file__, "--child", mode, "--duration", str(args.duration),
                                          "--cpu", str(args.cpu), "--endpoint", f"http://127.0.0.1:{port}",
                                          "--database-url", database_url],
                                         capture_output=True, text=True, timeout=args.duration * 3 + 120)
                    if out.returncode:
                        raise SystemExit(f"{mode}: {out.stderr[-2000:]}")
                    row[mode] = json.loads(out.stdout.strip().splitlines()[-1])
                row["on_vs_off"] = {"throughput": round(row["on"]["tokens_per_second"] / row["off"]["tokens_per_second"], 3),
                                    "cpu": round(row["on"]["cpu_ms_per_token"] / row["off"]["cpu_ms_per_token"], 3)}
                rounds.append(row)
        finally:
            receiver.terminate()
            receiver.wait(timeout=10)
    print(json.dumps({"rounds": rounds, "duration_per_mode": args.duration, "cpu": args.cpu}, indent=1))


if __name__ == "__main__":
    main()
