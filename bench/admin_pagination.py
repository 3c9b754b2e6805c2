"""Admin API list pages on 1,000,000 users beside a table of 100 (issue 15): keyset pages on
indexed columns must cost the same whatever the table's size.

    .venv/bin/python bench/admin_pagination.py [--users 1000000] [--requests 200] [--timeout 900]

Two throwaway PostgreSQL databases (`idp_bench_admin_<random>_{small,large}`), users seeded
with COPY, each served by the app in this process (Flask's test client: no network, so the
numbers are the app's and the database's); for each: the first page, a page deep in the table
(a cursor from the middle), the last page, a prefix search and the disabled filter, `--requests` times each.
Prints p50/p95 in ms per table, and the plans PostgreSQL picks (index scans, no sort of the table). Time-bounded
(a watchdog alarm) and cleaned up on every exit path (databases dropped, Redis keys deleted).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import secrets
import signal
import statistics
import sys
import time
import uuid

import psycopg

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from idp.app import create_app  # noqa: E402
from idp.config import Config  # noqa: E402
from idp.services import build_services  # noqa: E402
from idp.store.migrate import upgrade  # noqa: E402
from seedutil import USER_COLUMNS, copy_rows, user_rows  # noqa: E402

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
RUN = uuid.uuid4().hex[:8]


class Timeout(Exception):
    pass


def database(suffix: str) -> tuple[str, callable]:
    name = f"idp_bench_admin_{RUN}_{suffix}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, drop


def seed(url: str, count: int) -> None:
    """COPY `count` users (bench/seedutil.py: emails user-0000000@…, every 50th disabled, names 'Name <n>')."""
    copy_rows(url, "users", USER_COLUMNS, user_rows(count, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)))


@dataclasses.dataclass
class Target:
    label: str
    rows: int
    url: str
    drop: callable
    services: object = None


def serve(target: Target):
    config = Config(issuer="http://127.0.0.1:1", database_url=target.url, redis_url=REDIS_URL,
                    redis_prefix=f"idpbench-admin:{RUN}:{target.label}:", session_secret=secrets.token_urlsafe(36),
                    key_encryption_key=secrets.token_urlsafe(36), admin_api_rate_limit=10_000_000)
    target.services = build_services(config)
    target.services.mailer.start = lambda: None  # no mail here; its sweeper would outlive the dropped database
    app = create_app(services=target.services)
    client, secret = target.services.clients.create("bench admin", [], grant_types=["client_credentials"],
                                                    scope="admin:read")
    http = app.test_client()
    token = http.post("/token", data={"grant_type": "client_credentials", "scope": "admin:read"},
                      auth=(client.client_id, secret)).json["access_token"]
    return http, {"Authorization": f"Bearer {token}"}


def timed(http, headers, path: str, times: int) -> tuple[float, float]:
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        response = http.get(path, headers=headers)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def scenarios(http, headers, rows: int) -> dict[str, str]:
    """Paths: the deep page starts after the middle row (a cursor the API handed out)."""
    from idp.admin.api.framework import encode_cursor

    middle = encode_cursor([f"user-{rows // 2:07}@bench.example"])
    near_end = encode_cursor([f"user-{rows - 30:07}@bench.example"])
    return {"first page (50)": "/admin/api/v1/users",
            "deep page (50)": f"/admin/api/v1/users?cursor={middle}",
            "last page (29)": f"/admin/api/v1/users?cursor={near_end}",
            "prefix search": f"/admin/api/v1/users?search=user-{rows // 3:07}"[:-2],
            "disabled only": f"/admin/api/v1/users?disabled=true&cursor={middle}"}


PLANS = {
    "deep page": ('SELECT * FROM users WHERE email COLLATE "C" > %s ORDER BY email COLLATE "C" LIMIT 51',
                  lambda rows: (f"user-{rows // 2:07}@bench.example",)),
    "prefix search": ('SELECT * FROM users WHERE email COLLATE "C" LIKE %s OR lower(name) COLLATE "C" LIKE %s '
                      'ORDER BY email COLLATE "C" LIMIT 51',
                      lambda rows: (f"user-{rows // 3:07}"[:-2] + "%", f"user-{rows // 3:07}"[:-2] + "%")),
}


def plans(url: str, rows: int) -> str:
    """What PostgreSQL does for the admin API's queries (as idp/store/users.py writes them)."""
    out = []
    with psycopg.connect(url) as conn:
        for name, (sql, params) in PLANS.items():
            out.append(f"  {name}:")
            out += ["    " + line for (line,) in conn.execute("EXPLAIN " + sql, params(rows)).fetchall()]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--timeout", type=int, default=900, help="watchdog: stop after this many seconds")
    args = parser.parse_args()

    def watchdog(*_):
        raise Timeout(f"stopped by the {args.timeout}s watchdog")

    signal.signal(signal.SIGALRM, watchdog)
    signal.signal(signal.SIGTERM, watchdog)
    signal.alarm(args.timeout)
    targets = []
    try:
        for label, rows in (("small", 100), ("large", args.users)):
            url, drop = database(label)
            target = Target(label, rows, url, drop)
            targets.append(target)
            upgrade(url)
            started = time.monotonic()
            seed(url, rows)
            print(f"seeded {rows:,} users in {time.monotonic() - started:.1f}s", flush=True)
        results = {}
        for target in targets:
            http, headers = serve(target)
            for name, path in scenarios(http, headers, target.rows).items():
                timed(http, headers, path, 5)  # warm-up
                results[(name, target.label)] = timed(http, headers, path, args.requests)
        print(f"\n{'list page':<18} {'100 users p50/p95 ms':>22} {f'{args.users:,} users p50/p95 ms':>28}")
        for name in scenarios(None, None, 100):
            small, large = results[(name, "small")], results[(name, "large")]
            print(f"{name:<18} {small[0]:>10.2f} / {small[1]:<9.2f} {large[0]:>14.2f} / {large[1]:<9.2f}")
        print(f"\nPostgreSQL's plans on {args.users:,} users:\n{plans(targets[-1].url, args.users)}")
        return 0
    except Timeout as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        signal.alarm(0)
        for target in targets:
            if target.services is not None:
                target.services.store.flush_prefix()
                target.services.db.dispose()
            target.drop()


if __name__ == "__main__":
    sys.exit(main())
