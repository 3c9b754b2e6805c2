"""Token exchange (RFC 8693) beside client_credentials (issue 36): tokens per second on one core,
in-process (Flask test client, one thread pinned to one CPU), on a throwaway PostgreSQL database and
Redis prefix, with the audit trail on (an exchange writes one audit row; client_credentials none)
unless --no-audit.
Time-bounded (a watchdog alarm), cleans up on every exit path; not a test.

    .venv/bin/python bench/token_exchange.py [--duration 5] [--cpu 1] [--no-audit]

Each case issues one signed access token per request for the same API:
- client_credentials: the service's own token (the baseline), through the pre-Flask lane that plain
  client_credentials requests take (oauth/direct.py) and through the Flask view exchanges take;
- exchange_same_subject: API A exchanges one user token (with its actor token) for API B again and
  again, as a service does on each call while the user's token lives (verification remembered);
- exchange_fresh_subject: a different user token each time (a pool signed before timing), so each
  exchange also verifies a signature.
Prints JSON: tokens/s per case and each exchange's cost relative to client_credentials (issue 36
aims at within about 1.5x).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seedutil import REDIS_URL, throwaway_database, time_bound  # noqa: E402
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS = "urn:ietf:params:oauth:token-type:access_token"


def rate(http, auth: tuple, forms, duration: float, path: str = "/token") -> tuple[float, float]:
    """(requests per second, this process's CPU milliseconds per request) over `duration`; forms()
    gives each request's body. The CPU figure leaves out the time spent waiting for PostgreSQL and
    Redis (a commit's fsync on a busy machine), which a threaded server overlaps."""
    done, start, cpu = 0, time.monotonic(), time.process_time()
    deadline = start + duration
    while time.monotonic() < deadline:
        response = http.post(path, data=forms(), auth=auth)
        assert response.status_code == 200, response.text
        done += 1
    return done / (time.monotonic() - start), (time.process_time() - cpu) * 1000 / done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per case")
    parser.add_argument("--cpu", type=int, default=1, help="the core this process is pinned to")
    parser.add_argument("--no-audit", action="store_true", help="ENABLE_AUDIT_LOGS=false (the audit row's share)")
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.cpu})
    with time_bound(int(args.duration * 5 + 180)), throwaway_database("exchange") as database_url:
        run(args, database_url)


def run(args, database_url: str) -> None:
    from idp.app import create_app
    from idp.config import Config
    from idp.plumbing.security import hash_password
    from idp.services import build_services

    services = None
    try:
        config = Config(issuer="http://127.0.0.1:9", database_url=database_url, redis_url=REDIS_URL,
                        redis_prefix=f"idpbench:{uuid.uuid4().hex[:8]}:", session_secret=secrets.token_urlsafe(32),
                        key_encryption_key=secrets.token_urlsafe(32), rate_limit_max_requests=10**9,
                        enable_audit_logs=not args.no_audit)
        services = build_services(config)
        http = create_app(services=services).test_client()
        user = services.users.create(f"bench-{uuid.uuid4().hex[:6]}@example.com", hash_password("x" * 16), "Bench",
                                     email_verified=True)
        registry = services.apis
        a_rs, a_secret = services.clients.create(name="API A server", redirect_uris=[], scope="",
                                                 grant_types=["client_credentials", EXCHANGE])
        app, _ = services.clients.create(name="Web app", redirect_uris=["http://127.0.0.1/cb"], scope="openid")
        a, b = "https://orders.bench.example/", "https://billing.bench.example/"
        registry.create_api(a, "Orders", {"orders:read": "Read"}, resource_server=a_rs.client_id)
        registry.create_api(b, "Billing", {"billing:read": "Read"}, role_scopes=["billing:read"])
        registry.allow(b, a_rs.client_id)
        registry.create_role(b, "viewer", ["billing:read"])
        registry.assign(b, "viewer", user_id=user.id)
        auth = (a_rs.client_id, a_secret)

        def user_token() -> str:
            return services.tokens.access_token(app.client_id, user.id, "openid orders:read",
                                                grant_id=str(uuid.uuid4()), auth_time=int(time.time()),
                                                audience=[a])[0]

        actor = http.post("/token", data={"grant_type": "client_credentials"}, auth=auth).json["access_token"]
        same = user_token()

        def exchange(subject: str) -> dict:
            return {"grant_type": EXCHANGE, "subject_token": subject, "subject_token_type": ACCESS,
                    "actor_token": actor, "actor_token_type": ACCESS, "resource": b, "scope": "billing:read"}

        cases = {"client_credentials": lambda: {"grant_type": "client_credentials", "resource": b},
                 "exchange_same_subject": lambda: exchange(same)}
        results = {}
        for case, forms in cases.items():
            rate(http, auth, forms, 0.5)  # warm-up (caches, connections)
            results[case] = rate(http, auth, forms, args.duration)
        # the same grant through the Flask view, as an exchange goes (oauth/direct.py, the lane plain
        # client_credentials requests take, declines a request with a query string)
        view = "/token?via=view"
        rate(http, auth, cases["client_credentials"], 0.5, view)
        results["client_credentials_via_view"] = rate(http, auth, cases["client_credentials"], args.duration, view)
        # a pool of distinct user tokens, signed before the clock starts (more than can be spent)
        fastest = max(r for r, _ in results.values())  # an exchange is not faster than the fastest case
        pool = [user_token() for _ in range(int(fastest * (args.duration + 0.3) * 1.2) + 100)]
        rate(http, auth, lambda: exchange(pool.pop()), 0.3)
        results["exchange_fresh_subject"] = rate(http, auth, lambda: exchange(pool.pop()), args.duration)
        base_rate, base_cpu = results["client_credentials"]
        print(json.dumps({
            "tokens_per_second": {k: round(v[0], 1) for k, v in results.items()},
            "cpu_ms_per_token": {k: round(v[1], 3) for k, v in results.items()},
            "cost_vs_client_credentials": {k: {"wall": round(base_rate / v[0], 2), "cpu": round(v[1] / base_cpu, 2)}
                                           for k, v in results.items() if k != "client_credentials"},
            "cost_vs_client_credentials_via_view": {
                k: {"wall": round(results["client_credentials_via_view"][0] / v[0], 2),
                    "cpu": round(v[1] / results["client_credentials_via_view"][1], 2)}
                for k, v in results.items() if k.startswith("exchange")},
            "duration_per_case": args.duration, "cpu": args.cpu, "audit": not args.no_audit}))
    finally:
        if services is not None:
            services.store.flush_prefix()
            services.db.dispose()


if __name__ == "__main__":
    main()
