"""Token issuance with roles from three groups vs without (issue 21): refresh-token grants per
second, in-process (Flask test client, one thread), on a throwaway PostgreSQL database and Redis
prefix. Time-bounded (a watchdog alarm), cleans up on every exit path; not a test.

    .venv/bin/python bench/roles_tokens.py [--duration 5]

Prints JSON: grants/s for a client without APIs and for one whose default API gives the user
roles through three nested groups (the authorization cache warm, as on a live server).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import time
import uuid

import psycopg

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def refresh_rate(http, client_id: str, secret: str, refresh_token: str, duration: float) -> float:
    done, deadline = 0, time.monotonic() + duration
    start = time.monotonic()
    while time.monotonic() < deadline:
        response = http.post("/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token},
                             auth=(client_id, secret))
        assert response.status_code == 200, response.text
        refresh_token = response.json["refresh_token"]
        done += 1
    return done / (time.monotonic() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per case")
    args = parser.parse_args()
    signal.alarm(int(args.duration * 2 + 120))  # the watchdog: SIGALRM ends the run whatever happens

    from idp.app import create_app
    from idp.config import Config
    from idp.plumbing.security import hash_password
    from idp.services import build_services
    from idp.store.migrate import upgrade

    name = f"idp_bench_roles_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    database_url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    services = None
    try:
        upgrade(database_url)
        config = Config(issuer="http://127.0.0.1:9", database_url=database_url, redis_url=REDIS_URL,
                        redis_prefix=f"idpbench:{uuid.uuid4().hex[:8]}:", session_secret=secrets.token_urlsafe(32),
                        key_encryption_key=secrets.token_urlsafe(32), rate_limit_max_requests=10**9,
                        enable_audit_logs=False)
        services = build_services(config)
        http = create_app(services=services).test_client()
        user = services.users.create(f"bench-{uuid.uuid4().hex[:6]}@example.com", hash_password("x" * 16), "Bench",
                                     email_verified=True)
        registry = services.apis
        api = "https://orders.bench.example/"
        registry.create_api(api, "Orders", {"orders:read": "Read", "orders:write": "Write"})
        for n, parent in enumerate([None, "g0", "g1"]):
            registry.create_group(f"g{n}")
            if parent:
                registry.add_member(parent, member_group=f"g{n}")
            registry.create_role(api, f"role{n}", ["orders:read"])
            registry.assign(api, f"role{n}", group=f"g{n}")
        registry.add_member("g2", user_id=user.id)
        results = {}
        for case, with_api in (("without_apis", False), ("roles_from_3_groups", True)):
            client, secret = services.clients.create(name=case, redirect_uris=["http://127.0.0.1/cb"],
                                                     scope="openid offline_access")
            if with_api:
                registry.allow(api, client.client_id, default=True)
            scope = "openid offline_access orders:read" if with_api else "openid offline_access"
            token = services.tokens.refresh_token(str(uuid.uuid4()), client.client_id, user.id, scope,
                                                  int(time.time()), resources=[api] if with_api else ())
            refresh_rate(http, client.client_id, secret, token, 0.5)  # warm-up (caches, connections)
            token = services.tokens.refresh_token(str(uuid.uuid4()), client.client_id, user.id, scope,
                                                  int(time.time()), resources=[api] if with_api else ())
            results[case] = round(refresh_rate(http, client.client_id, secret, token, args.duration), 1)
        results["ratio"] = round(results["roles_from_3_groups"] / results["without_apis"], 3)
        print(json.dumps({"refresh_grants_per_second": results, "duration_per_case": args.duration}))
    finally:
        if services is not None:
            services.store.flush_prefix()
            services.db.dispose()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
