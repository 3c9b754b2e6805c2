"""What the storage benches share: a throwaway PostgreSQL database (migrated) and Redis prefix,
a watchdog so a run always stops by itself, COPY seeding, and clean-up on every exit path."""

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


def table_bytes(url: str, *tables: str) -> dict[str, int]:
    with psycopg.connect(url, autocommit=True) as conn:
        return {t: conn.execute("SELECT pg_total_relation_size(%s)", (t,)).fetchone()[0] for t in tables}
