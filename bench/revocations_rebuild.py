"""The revocation cache rebuild after a Redis loss (idp/tokens/revocation_cache.py), measured on
1,000,000 active revocations seeded with COPY into a throwaway database.

    .venv/bin/python bench/revocations_rebuild.py [--rows 1000000] [--page 5000] [--naive 50000] [--timeout 900]

Prints one JSON object: seeding time, the rebuild's duration and rows/s (pages by primary key,
one pipelined round trip per page), the same rows written one SET per round trip (what the cache
warm-up did before, on `--naive` rows, extrapolated), the durable-list check a token validation
makes while the cache is incomplete (its median and p99), and Redis memory used by the cache.
Time-bounded by a watchdog; the database is dropped and the Redis keys deleted on every exit path.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seedutil import REDIS_URL, copy_rows, throwaway_database, time_bound  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--page", type=int, default=5000)
    parser.add_argument("--naive", type=int, default=50_000, help="rows written one SET at a time, for comparison")
    parser.add_argument("--timeout", type=int, default=900)
    args = parser.parse_args()

    from idp.store.db import Database
    from idp.store.ephemeral import RedisStore
    from idp.store.refresh_tokens import Revocations
    from idp.tokens.revocation_cache import RevocationCache

    store = RedisStore(REDIS_URL, f"idpbench:rev:{uuid.uuid4().hex[:8]}:")
    result: dict = {"rows": args.rows, "page": args.page}
    with time_bound(args.timeout), throwaway_database("rev") as url:
        try:
            now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
            expires = now + dt.timedelta(hours=2)
            result["seed_seconds"] = round(copy_rows(url, "revocations", ("id", "kind", "expires_at", "created_at"), (
                (f"jti:{i:012d}{uuid.uuid4().hex[:10]}", "jti", expires, now) for i in range(args.rows))), 2)
            db = Database(url)
            revocations = Revocations(db)
            memory_before = store._redis.info("memory")["used_memory"]

            checks: list[float] = []
            done = threading.Event()

            def token_checks_meanwhile():  # what validate_access_token does while the marker is missing
                while not done.is_set():
                    started = time.perf_counter()
                    revocations.any_active([f"jti:{uuid.uuid4().hex}", f"gid:{uuid.uuid4().hex}"])
                    checks.append(time.perf_counter() - started)
                    time.sleep(0.01)

            checker = threading.Thread(target=token_checks_meanwhile, daemon=True)
            checker.start()
            started = time.monotonic()
            loaded = RevocationCache(store, revocations, page=args.page).rebuild()
            seconds = time.monotonic() - started
            done.set()
            checker.join(5)
            result.update(rebuild_seconds=round(seconds, 2), rebuild_rows_per_s=round(loaded / seconds),
                          loaded=loaded, redis_bytes=store._redis.info("memory")["used_memory"] - memory_before)
            if checks:
                ordered = sorted(checks)
                result["durable_check_ms"] = {"median": round(statistics.median(ordered) * 1000, 2),
                                              "p99": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 2),
                                              "count": len(ordered)}
            if args.naive:
                rows = revocations.active_page(None, args.naive)
                started = time.monotonic()
                for ident, _ in rows:
                    store.set("naive:" + ident, "1", 600)
                naive = time.monotonic() - started
                result["one_set_per_row"] = {"rows": len(rows), "seconds": round(naive, 2),
                                             "rows_per_s": round(len(rows) / naive),
                                             "extrapolated_seconds": round(naive * args.rows / len(rows), 1)}
            db.dispose()
        finally:
            store.flush_prefix()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
