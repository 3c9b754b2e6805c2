"""The hot paths on a big database (issue 20, "Scale as data grows"): token (client_credentials),
refresh, introspection and password sign-in, measured on an empty database, then again after
seeding it with COPY; per figure the ratio seeded/empty and whether it stays within 10%.

    .venv/bin/python bench/scale.py [--users 1000000 --refresh 5000000 --audit 1000000 --duration 10]

1. a throwaway PostgreSQL database and Redis prefix (bench/wrkutil.py Deployment); a client_credentials
   client, a trusted code-flow client allowed refresh_token, and a user, via the `idp` CLI;
2. `taskset -c 0 idp serve --workers 1 --threads <idp serve's default>` (production mode), the load on
   core 1: wrk at 32 connections for token and introspection (of one of the IdP's JWT access tokens),
   threads rotating their own refresh-token chains and bench/login.py's sign-ins (bench/scaleload.py);
3. COPY the users, refresh-token families (70% live, 20% expired, 10% revoked) and audit events
   (bench/seedutil.py), secondary indexes built after, VACUUM ANALYZE; restart the server, so that both
   columns start from a fresh worker, and measure the same four again;
4. the table (rates: seeded/empty >= 0.90; the worker's CPU per operation: <= 1.10), bench/results/scale.json.

Time-bounded (a watchdog alarm); the server, the database and the Redis keys are removed on every exit
path (error, Ctrl-C, SIGTERM, the watchdog).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import shutil
import signal
import sys
import time
from urllib.parse import urlencode

import psycopg

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import codeflow  # noqa: E402
import login  # noqa: E402
import scaleload  # noqa: E402
from idp.cli.serve import THREADS as SERVE_THREADS  # noqa: E402  (what `idp serve` runs by default)
from run import basic, fetch_access_token, measure_quietly, precheck  # noqa: E402
from seedutil import (  # noqa: E402
    AUDIT_COLUMNS, REFRESH_COLUMNS, USER_COLUMNS, Watchdog, audit_rows, copy_rows, refresh_rows, table_bytes,
    time_bound, user_id, user_rows, without_secondary_indexes,
)
from wrkutil import BENCH_DIR, ROOT, Deployment, run_wrk, wait_until_quiet  # noqa: E402

RESULTS_DIR = os.path.join(BENCH_DIR, "results")
SERVER_CORE, LOADGEN_CORE = 0, 1
CONNECTIONS = 32
TABLES = ("users", "refresh_tokens", "audit_events")
RATE_FLOOR, CPU_CEILING = 0.90, 1.10  # "within 10%" of the empty database's figure


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Environment(Deployment):
    """The scale bench's IdP: a client_credentials client, a trusted relying party with refresh tokens,
    bench/login.py's user; the rate limits out of the way (all load comes from 127.0.0.1)."""

    def __init__(self):
        super().__init__("scale", RATE_LIMIT_MAX_REQUESTS="100000000")

    def create(self) -> tuple[dict, dict]:
        self.create_database()
        cc = json.loads(self.cli("clients", "create", "--name", "scale cc", "--grant-type", "client_credentials",
                                 "--json"))
        rp = json.loads(self.cli("clients", "create", "--name", "scale rp", "--redirect-uri", login.REDIRECT_URI,
                                 "--trusted", "--grant-type", "authorization_code", "--grant-type", "refresh_token",
                                 "--json"))
        self.cli("users", "create", "--email", login.EMAIL, "--password-stdin", stdin=login.PASSWORD + "\n")
        return cc, rp

    def restart(self, label: str) -> int:
        """A fresh worker (its caches empty), its own log; the worker's pid."""
        self.stop_server()
        self.start_server(SERVER_CORE, SERVE_THREADS["granian"], os.path.join(RESULTS_DIR, f"scale-{label}.log"))
        return self.worker_pid()


# -- the four figures ---------------------------------------------------------------------------
def measure(env: Environment, cc: dict, rp: dict, args, label: str) -> dict:
    """token, introspection, refresh and password sign-in on a freshly started worker."""
    worker = env.restart(label)
    wait_until_quiet(args.quiet_wait, log=log)
    auth = basic(cc["client_id"], cc["client_secret"])
    access_token = fetch_access_token(env.url, cc)
    results = {}
    for name, path, body, expect in (
            ("token", "/token", "grant_type=client_credentials", '"access_token"'),
            ("introspection", "/introspect", urlencode({"token": access_token, "token_type_hint": "access_token"}),
             '"active": ?true')):
        url, script = env.url + path, {"script": os.path.join(BENCH_DIR, "post.lua"), "script_args": [body, auth]}
        precheck(url, body, auth, expect)
        run_wrk(url, 8, 1, core=LOADGEN_CORE, **script)  # warm-up, discarded
        results[name] = measure_quietly(lambda: run_wrk(url, CONNECTIONS, args.duration, core=LOADGEN_CORE,
                                                        server_pid=worker, **script), args.quiet_wait, f"{label} {name}")
        raw = results[name].pop("raw")
        if results[name]["non2xx"] or any(results[name]["socket_errors"].values()):
            results[name]["wrk_output"] = raw
        report_line(label, name, results[name])
    cookies = codeflow.login(env.url, login.EMAIL, login.PASSWORD).cookies
    results["refresh"] = measure_quietly(
        lambda: scaleload.refresh(env.url, rp["client_id"], rp["client_secret"], cookies, args.refresh_threads,
                                  args.duration, worker), args.quiet_wait, f"{label} refresh")
    report_line(label, "refresh", results["refresh"])
    results["password sign-in"] = measure_quietly(
        lambda: scaleload.sign_in(env.url, rp["client_id"], args.logins, args.duration, worker),
        args.quiet_wait, f"{label} password sign-in")
    report_line(label, "password sign-in", results["password sign-in"])
    if env.server.poll() is not None:
        raise RuntimeError(f"the server died; see bench/results/scale-{label}.log")
    return results


def errors_of(result: dict) -> int:
    return result.get("errors", result.get("non2xx", 0) + sum(result.get("socket_errors", {}).values()))


def report_line(label: str, name: str, result: dict) -> None:
    log(f"  {label:<6} {name:<17} {result['rps']:>9.1f}/s  p50 {result['p50_ms']} ms  p99 {result['p99_ms']} ms  "
        f"CPU {result.get('server_cpu_ms_per_req')} ms/op  errors {errors_of(result)}")


# -- seeding ------------------------------------------------------------------------------------
def family_fate(family: int) -> str:
    """Mostly live families: 7 in 10 live, 2 expired (not purged yet), 1 revoked."""
    return "live" if family % 10 < 7 else "expired" if family % 10 < 9 else "revoked"


def seed(url: str, users: int, refresh: int, audit: int, rp_id: str, cc_id: str) -> dict:
    """COPY the rows with the secondary indexes dropped and built after, then VACUUM ANALYZE (what
    autovacuum would have done to a database this old) and a CHECKPOINT; seconds per step."""
    from idp.plumbing.security import hash_password

    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    shared_hash = hash_password(secrets.token_urlsafe(16))  # one argon2id hash for every seeded user
    started = time.monotonic()
    seconds = {}
    with (without_secondary_indexes(url, "users"), without_secondary_indexes(url, "refresh_tokens"),
          without_secondary_indexes(url, "audit_events")):
        seconds["users"] = copy_rows(url, "users", USER_COLUMNS, user_rows(users, now, shared_hash))
        # three families in four the relying party's, one the client_credentials client's; one user each
        seconds["refresh_tokens"] = copy_rows(url, "refresh_tokens", REFRESH_COLUMNS, refresh_rows(
            refresh, now, family_fate, lambda family: (user_id(family % users), rp_id if family % 4 else cc_id)))
        seconds["audit_events"] = copy_rows(url, "audit_events", AUDIT_COLUMNS, audit_rows(
            audit, now, lambda i: i % 365, lambda i: (user_id(i % users), rp_id)))  # within AUDIT_RETENTION
        copied = time.monotonic()
    seconds["indexes"] = round(time.monotonic() - copied, 1)
    analyzed = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"VACUUM (ANALYZE) {', '.join(TABLES)}")
        rows = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}
        # The load's dirty pages written out now: otherwise the checkpointer writes them during the
        # seeded measurements (a first run showed 23% of the cores busy elsewhere during sign-in).
        conn.execute("CHECKPOINT")
    seconds["vacuum_analyze"] = round(time.monotonic() - analyzed, 1)
    return {"seconds": round(time.monotonic() - started, 1),
            "steps_seconds": {k: round(v, 1) for k, v in seconds.items()}, "rows": rows,
            "bytes": table_bytes(url, *TABLES)}


# -- the comparison -----------------------------------------------------------------------------
FIGURES = ("token", "refresh", "introspection", "password sign-in")


def comparison(empty: dict, seeded: dict) -> list[dict]:
    """Per figure: the rate and the worker's CPU per operation with a verdict, p50 and p99 as context."""
    rows = []
    for figure in FIGURES:
        before, after = empty[figure], seeded[figure]
        disturbed = before.get("disturbed") or after.get("disturbed")
        for what, key, unit, kind in (("rate", "rps", "/s", "rate"), ("CPU/op", "server_cpu_ms_per_req", "ms", "cpu"),
                                         ("p50", "p50_ms", "ms", None), ("p99", "p99_ms", "ms", None)):
            a, b = before.get(key), after.get(key)
            ratio = round(b / a, 3) if a and b is not None else None
            if ratio is None or kind is None:
                verdict = ""
            else:
                verdict = "within 10%" if (ratio >= RATE_FLOOR if kind == "rate" else ratio <= CPU_CEILING) \
                    else "NOT within 10%"
            rows.append({"figure": figure, "measure": what, "unit": unit, "empty": a, "seeded": b, "ratio": ratio,
                         "verdict": verdict, "disturbed": bool(disturbed)})
        rows.append({"figure": figure, "measure": "errors", "unit": "", "empty": errors_of(before),
                     "seeded": errors_of(after), "ratio": None, "verdict": "", "disturbed": bool(disturbed)})
    return rows


def table(rows: list[dict], sizes: str, seeding: dict) -> str:
    lines = [f"the hot paths on an empty database and on {sizes} (one worker on core {SERVER_CORE}, "
             f"load on core {LOADGEN_CORE})",
             f"{'figure':<18}{'measure':<9}{'empty':>11}{'seeded':>11}{'seeded/empty':>14}  verdict",
             "-" * 78]
    for row in rows:
        cells = [f"{v:>11.3f}" if isinstance(v, float) and row["unit"] == "ms" else
                 f"{v:>11.1f}" if isinstance(v, float) else f"{'-' if v is None else v:>11}"
                 for v in (row["empty"], row["seeded"])]
        ratio = f"{row['ratio']:.2f}x" if row["ratio"] is not None else ""
        mark = " !" if row["disturbed"] and row["verdict"] else ""
        lines.append(f"{row['figure']:<18}{row['measure'] + ' ' + row['unit']:<9}{cells[0]}{cells[1]}"
                     f"{ratio:>14}  {row['verdict']}{mark}")
    steps = ", ".join(f"{k} {v} s" for k, v in seeding["steps_seconds"].items())
    lines += ["-" * 78, f"seeding: {seeding['seconds']} s ({steps})",
              "verdicts: rate seeded/empty >= 0.90, the worker's CPU per operation <= 1.10; "
              "! = a measurement disturbed by other processes"]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--refresh", type=int, default=5_000_000, help="refresh-token rows")
    parser.add_argument("--audit", type=int, default=1_000_000, help="audit events")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement (default 10)")
    parser.add_argument("--refresh-threads", type=int, default=8, help="refresh-token chains (default 8)")
    parser.add_argument("--logins", type=int, default=4, help="concurrent sign-ins (default 4, as bench/login.py)")
    parser.add_argument("--quiet-wait", type=float, default=30.0,
                        help="wait at most this long for an idle machine before each part (default 30)")
    parser.add_argument("--timeout", type=int, default=None, help="watchdog seconds (default: from the sizes)")
    args = parser.parse_args()
    if args.users < 1 or args.refresh < 0 or args.audit < 0 or not 1 <= args.duration <= 120:
        parser.error("--users must be at least 1, the row counts not negative, --duration 1 to 120 s")
    if (os.cpu_count() or 1) < 2 or not shutil.which("wrk") or not shutil.which("taskset"):
        sys.exit("needs two cores, wrk and taskset")
    # 8 measurements, each maybe repeated once; seeding at 5,000 rows/s at the slowest
    budget = args.timeout or int(300 + 16 * (args.duration + 20 + args.quiet_wait)
                                 + (args.users + args.refresh + args.audit) / 5000)
    signal.signal(signal.SIGTERM, lambda signum, _: sys.exit(128 + signum))
    signal.signal(signal.SIGHUP, lambda signum, _: sys.exit(128 + signum))
    os.sched_setaffinity(0, {LOADGEN_CORE})  # this process's load threads (they inherit it) and COPY
    env = Environment()
    status = 1
    try:
        with time_bound(budget):
            log(f"setup: database {env.db_name}, Redis prefix {env.prefix}, {env.url}, watchdog {budget} s")
            cc, rp = env.create()
            empty = measure(env, cc, rp, args, "empty")
            sizes = f"{args.users:,} users, {args.refresh:,} refresh-token rows, {args.audit:,} audit events"
            log(f"seeding {sizes} ...")
            seeding = seed(env.env["DATABASE_URL"], args.users, args.refresh, args.audit, rp["client_id"],
                           cc["client_id"])
            log(f"  seeded in {seeding['seconds']} s {seeding['steps_seconds']}")
            seeded = measure(env, cc, rp, args, "seeded")
        rows = comparison(empty, seeded)
        text = table(rows, sizes, seeding)
        print(text)
        os.makedirs(RESULTS_DIR, exist_ok=True)
        with open(os.path.join(RESULTS_DIR, "scale.json"), "w") as handle:
            json.dump({"when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                       "settings": {**vars(args), "server": f"taskset -c {SERVER_CORE} idp serve --workers 1 "
                                    f"--threads {SERVE_THREADS['granian']}", "connections": CONNECTIONS},
                       "load_average_at_end": os.getloadavg(), "seeding": seeding, "comparison": rows,
                       "empty": empty, "seeded": seeded, "table": text}, handle, indent=2)
        log(f"wrote {os.path.relpath(os.path.join(RESULTS_DIR, 'scale.json'), ROOT)}")
        status = 0
    except (Watchdog, KeyboardInterrupt, SystemExit) as exc:
        log(f"aborted: {exc or type(exc).__name__}")
    except Exception as exc:
        log(f"error: {type(exc).__name__}: {exc}")
    finally:
        try:
            with time_bound(60):  # teardown is bounded too
                for problem in env.teardown():
                    log(f"cleanup: {problem}")
        except Watchdog:
            log("cleanup: timed out")
    return status


if __name__ == "__main__":
    sys.exit(main())
