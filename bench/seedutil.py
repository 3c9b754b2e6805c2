"""What the storage benches share: a throwaway PostgreSQL database (migrated) and Redis prefix,
a watchdog so a run always stops by itself, COPY seeding and the rows it seeds (users, refresh-token
families, audit events: one generator each, so the benches seed alike), and clean-up on every exit path."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import time
import uuid

import psycopg

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


class Watchdog(Exception):
    pass


@contextlib.contextmanager
def time_bound(seconds: int):
    """SIGALRM after `seconds`: the bench raises Watchdog, cleans up and stops."""
    def expired(*_):
        raise Watchdog(f"stopped by the {seconds}s watchdog")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def throwaway_database(label: str):
    """A fresh migrated database idp_bench_<label>_<random>; dropped on the way out."""
    from idp.store.migrate import upgrade

    name = f"idp_bench_{label}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _field(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value)  # the benches' values hold no tab, newline or backslash


def copy_rows(url: str, table: str, columns: tuple[str, ...], rows, chunk: int = 20_000) -> float:
    """COPY an iterable of tuples into `table` (text format, written in chunks: psycopg's per-row
    write_row costs more than the server's work); the seconds it took, ANALYZE included."""
    started = time.monotonic()
    with psycopg.connect(url) as conn:
        with conn.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                lines = []
                for row in rows:
                    lines.append("\t".join(map(_field, row)))
                    if len(lines) >= chunk:
                        copy.write("\n".join(lines) + "\n")
                        lines.clear()
                if lines:
                    copy.write("\n".join(lines) + "\n")
        conn.commit()
        conn.execute(f"ANALYZE {table}")
        conn.commit()
    return time.monotonic() - started


@contextlib.contextmanager
def without_secondary_indexes(url: str, table: str):
    """Bulk-load as a DBA would: drop the table's non-unique indexes, load, build them again."""
    with psycopg.connect(url, autocommit=True) as conn:
        found = conn.execute("SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
                             "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass "
                             "AND NOT x.indisunique", (table,)).fetchall()
        for name, _ in found:
            conn.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            for _, definition in found:
                conn.execute(definition)
            conn.execute(f"ANALYZE {table}")


# -- the rows the benches seed ---------------------------------------------------------------------
USER_COLUMNS = ("id", "email", "email_verified", "password_hash", "name", "disabled", "created_at", "updated_at")
REFRESH_COLUMNS = ("token_hash", "family_id", "client_id", "user_id", "scope", "auth_time", "issued_at",
                   "expires_at", "rotated_at", "revoked_at")
AUDIT_COLUMNS = ("occurred_at", "action", "user_id", "client_id", "ip", "details")
FAMILY = 5  # tokens per refresh family: four rotated, the last one current or ended


def user_id(n: int) -> str:
    """The n-th seeded user's id: a UUID's shape, computed, so other rows can point at it without a lookup."""
    return f"00000000-0000-4000-8000-{n:012d}"


def user_email(n: int) -> str:
    return f"user-{n:07}@bench.example"


def user_rows(count: int, now: dt.datetime, password_hash: str | None = None):
    """Verified users named 'Name <n>', every 50th disabled; one shared password hash (or none)."""
    for n in range(count):
        yield (user_id(n), user_email(n), True, password_hash, f"Name {n}", n % 50 == 0, now, now)


def refresh_rows(count: int, now: dt.datetime, fate, owner):
    """Families of FAMILY tokens issued 30 days ago, the first four rotated. `fate(family)` says how a
    family stands: "live" (its last token usable for 7 more days), "expired" (30 days ago) or "revoked"
    (every token revoked, as a detected reuse leaves it); `owner(family)` gives its (user_id, client_id)."""
    old, future = now - dt.timedelta(days=30), now + dt.timedelta(days=7)
    for i in range(count):
        family = i // FAMILY
        last = i % FAMILY == FAMILY - 1
        state = fate(family)
        user, client_id = owner(family)
        expires = future if (last and state != "expired") else old
        yield (f"{i:064x}", f"{family:036d}", client_id, user, "openid", 0, old, expires, None if last else old,
               old if state == "revoked" else None)


def audit_rows(count: int, now: dt.datetime, days_ago, owner):
    """Successful sign-ins, `days_ago(i)` days (plus i % 86400 seconds) old; `owner(i)` gives (user_id, client_id)."""
    for i in range(count):
        user, client_id = owner(i)
        yield (now - dt.timedelta(days=days_ago(i), seconds=i % 86400), "login.succeeded", user, client_id,
               "192.0.2.1", "{}")


def table_bytes(url: str, *tables: str) -> dict[str, int]:
    with psycopg.connect(url, autocommit=True) as conn:
        return {t: conn.execute("SELECT pg_total_relation_size(%s)", (t,)).fetchone()[0] for t in tables}
