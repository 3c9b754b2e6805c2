"""The purge (idp/store/purge.py) on a big table: 5,000,000 refresh-token rows, 80% of them in
families that ended long ago, and 1,000,000 audit events, half older than AUDIT_RETENTION, seeded
with COPY into a throwaway database.

    .venv/bin/python bench/purge.py [--refresh 5000000] [--audit 1000000] [--batch 1000] [--timeout 3000]

Prints one JSON object: seeding time, the purge's rows and rows/s per run, and each table's size
(pg_total_relation_size) before, after the purge, and after a plain VACUUM (which makes the
space reusable without shrinking the files). A second purge right after shows what an idle run
costs. Time-bounded by a watchdog; the database is dropped on every exit path.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time

import psycopg

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seedutil import (  # noqa: E402
    AUDIT_COLUMNS,
    REFRESH_COLUMNS,
    Watchdog,
    audit_rows,
    copy_rows,
    refresh_rows,
    table_bytes,
    throwaway_database,
    time_bound,
    without_secondary_indexes,
)


def refresh_fate(family: int) -> str:
    """4 of every 5 families ended 30 days ago (purgeable), 1 lives."""
    return "live" if family % 5 == 0 else "expired"


def bench_owner(_: int) -> tuple[str, str]:
    """Every row the one user's with the one client: the purge reads by time, not by owner."""
    return "bench-user", "bench-client"


def audit_age(i: int) -> int:
    """Days: half the events older than AUDIT_RETENTION (400 days), half recent."""
    return 800 if i % 2 else 10


def seed(url: str, refresh: int, audit: int, now: dt.datetime) -> None:
    """The bench's user and client, then the rows by COPY, the secondary indexes built after."""
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO users (id, email, email_verified, disabled, created_at, updated_at) "
                     "VALUES ('bench-user', 'bench@example.com', true, false, now(), now())")
        conn.execute("INSERT INTO clients (client_id, name, redirect_uris, grant_types, response_types, scope, "
                     "token_endpoint_auth_method, trusted, metadata, created_at) VALUES ('bench-client', 'b', "
                     "'[]', '[]', '[]', 'openid', 'none', false, '{}', now())")
    with without_secondary_indexes(url, "refresh_tokens"), without_secondary_indexes(url, "audit_events"):
        copy_rows(url, "refresh_tokens", REFRESH_COLUMNS, refresh_rows(refresh, now, refresh_fate, bench_owner))
        copy_rows(url, "audit_events", AUDIT_COLUMNS, audit_rows(audit, now, audit_age, bench_owner))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--refresh", type=int, default=5_000_000)
    parser.add_argument("--audit", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--timeout", type=int, default=3000)
    args = parser.parse_args()
    result: dict = {"refresh_rows": args.refresh, "audit_rows": args.audit, "batch": args.batch,
                    "load_average_at_start": os.getloadavg()}
    try:
        measure(args, result)
    except Watchdog as stopped:  # what was measured until then is still worth printing
        result["stopped"] = str(stopped)
    print(json.dumps(result, indent=2))


def measure(args, result: dict) -> None:
    from idp.store.db import Database
    from idp.store.purge import Purge, Retention

    tables = ("refresh_tokens", "audit_events")
    with time_bound(args.timeout), throwaway_database("purge") as url:
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        started = time.monotonic()
        seed(url, args.refresh, args.audit, now)
        result["seed_seconds"] = round(time.monotonic() - started, 1)  # COPY, then the indexes built again
        result["bytes_before"] = table_bytes(url, *tables)
        db = Database(url)
        purge = Purge(db, Retention(), args.batch)
        runs = []
        result["runs"] = runs
        for _ in range(2):
            run = {"rows": {}, "seconds": 0.0, "rows_per_s": 0}
            runs.append(run)
            started = time.monotonic()

            def progress(table, rows, run=run, started=started):  # kept current, in case the watchdog stops it
                run["rows"][table] = run["rows"].get(table, 0) + rows
                run["seconds"] = round(time.monotonic() - started, 1)
                run["rows_per_s"] = round(sum(run["rows"].values()) / max(time.monotonic() - started, 1e-9))

            purge.run(on_batch=progress)
            run["seconds"] = round(time.monotonic() - started, 1)
        result["bytes_after_purge"] = table_bytes(url, *tables)
        with psycopg.connect(url, autocommit=True) as conn:
            for table in tables:
                conn.execute(f"VACUUM {table}")
            result["rows_left"] = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
        result["bytes_after_vacuum"] = table_bytes(url, *tables)
        result["load_average_at_end"] = os.getloadavg()
        db.dispose()


if __name__ == "__main__":
    main()
