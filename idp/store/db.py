"""Engine and session factory for the durable store."""

from __future__ import annotations

import contextlib
import contextvars
import os
import select
from collections.abc import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from idp.plumbing.writable import make_dir


def normalize_url(url: str) -> str:
    """Operators write postgresql://; the driver we ship is psycopg 3.

    A libpq multi-host URL (postgresql://u@db1:5432,db2:5432/idp, what Patroni, CloudNativePG
    and managed services hand out) is rewritten to SQLAlchemy's form of the same thing (one
    `host=` per server), and asks for the read-write server unless it says otherwise: after a
    failover, new connections find the new primary by themselves.
    """
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return _multi_host(url) if url.startswith("postgresql+psycopg://") else url


def _multi_host(url: str) -> str:
    scheme, rest = url.split("://", 1)
    netloc, slash, tail = rest.partition("/")
    auth, at, hosts = netloc.rpartition("@")
    if "," not in hosts:
        return url
    path, _, query = tail.partition("?")
    params = [("host", host) for host in hosts.split(",") if host]
    params += [tuple(pair.split("=", 1)) for pair in query.split("&") if "=" in pair]
    if not any(key == "target_session_attrs" for key, _ in params):
        params.append(("target_session_attrs", "read-write"))
    return f"{scheme}://{auth}{at}/{path}?" + "&".join(f"{key}={value}" for key, value in params)


def sqlite_file(url: str) -> str | None:
    """The absolute path of a SQLite database URL's file; None for another database (or :memory:)."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return os.path.abspath(parsed.database)


def make_engine(url: str, pool_size: int = 5, pg_options: str = "", **options) -> Engine:
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            make_dir("DATABASE_URL", os.path.dirname(os.path.abspath(parsed.database)))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15}, **options)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.close()

        return engine
    # pre_ping replaces connections that died with a database restart;
    # statement_timeout bounds every query so a stuck database fails fast.
    engine = create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=2,
        pool_recycle=1800,
        connect_args={"connect_timeout": 2, "options": f"-c statement_timeout=5000 {pg_options}".strip()},
        **options,
    )
    engine.dialect.do_ping = idle_connection_alive
    event.listen(engine, "handle_error", _drop_pool_after_failover)
    return engine


# SQLSTATEs that say "this server is no longer the primary" or "it is going away": a demoted
# primary refuses writes (25006), a stopping or crashed one terminates sessions (57P01..57P03).
# Every pooled connection to it is as stale as this one, so the whole pool is dropped and the
# next checkout connects afresh, which (multi-host URL, target_session_attrs=read-write) finds
# the new primary.
FAILOVER_SQLSTATES = {"25006", "57P01", "57P02", "57P03"}


def _drop_pool_after_failover(context) -> None:
    sqlstate = getattr(context.original_exception, "sqlstate", None)
    if sqlstate in FAILOVER_SQLSTATES or context.is_disconnect:
        context.is_disconnect = True
        context.invalidate_pool_on_disconnect = True


def idle_connection_alive(dbapi_connection) -> bool:
    """pool_pre_ping without a round trip. An idle PostgreSQL connection receives nothing
    unsolicited: when its socket is readable, the server has closed it (a restart sends a
    FATAL message, then FIN) or it is otherwise unusable, and the pool replaces it (and, as with
    SQLAlchemy's own ping, every connection older). SQLAlchemy's default ping runs `SELECT 1`, a
    round trip on every checkout that doubled the cost of the token step's one-row read."""
    if dbapi_connection.closed or dbapi_connection.broken:
        return False
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLPRI)
    return not poller.poll(0)


class Database:
    def __init__(self, url: str, pool_size: int = 5, replica_url: str = ""):
        self.engine = make_engine(url, pool_size)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Hot-path reads use a pool of autocommit connections: a single SELECT needs no BEGIN/COMMIT,
        # and a separate pool avoids switching (and resetting) the isolation level on every checkout.
        self.read_engine = make_engine(url, pool_size, isolation_level="AUTOCOMMIT")
        self._reads = sessionmaker(self.read_engine, expire_on_commit=False)
        # DATABASE_READ_URL: a replica (or a read pool) for reads that tolerate its lag.
        self.replica_engine = make_engine(replica_url, pool_size, isolation_level="AUTOCOMMIT") if replica_url \
            else self.read_engine
        self._replica_reads = sessionmaker(self.replica_engine, expire_on_commit=False)
        # The unit of work this thread (or task) has open, which session() joins (see unit_of_work).
        self._unit: contextvars.ContextVar[Session | None] = contextvars.ContextVar(f"idp-unit-{id(self)}",
                                                                                  default=None)
        self._after: contextvars.ContextVar[list | None] = contextvars.ContextVar(f"idp-after-{id(self)}",
                                                                                 default=None)
        self._url, self._pool_size, self._relaxed_engine = url, pool_size, None

    @property
    def relaxed_engine(self) -> Engine:
        """For rows whose loss in a crash of PostgreSQL itself costs nothing another record does not
        hold (audit rows: their JSON log line is written first): autocommit connections with
        `synchronous_commit=off` (PostgreSQL docs, "Asynchronous Commit"): one round trip, visible to
        every reader at once, durable within three `wal_writer_delay`s, and no wait for the WAL
        flush, which on a slow disk was most of a token exchange's time. Opened on first use; the
        embedded default's SQLite has no such mode and uses its one engine."""
        if self.is_sqlite:
            return self.engine
        if self._relaxed_engine is None:
            self._relaxed_engine = make_engine(self._url, max(1, self._pool_size // 2), isolation_level="AUTOCOMMIT",
                                               pg_options="-c synchronous_commit=off")
        return self._relaxed_engine

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on any error. Inside unit_of_work() it is
        that one's session instead: flushed here (a constraint fails in the caller's block, as it
        would at commit), committed or rolled back with the rest."""
        joined = self._unit.get()
        if joined is not None:
            yield joined
            joined.flush()
            return
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextlib.contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction around several store calls: every session() opened inside (by any store
        class, in this thread) is this one, so a change and what records it (the webhook outbox row,
        idp/events/outbox.py) commit together or not at all. Nested: the outer one is joined."""
        if self._unit.get() is not None:
            yield self._unit.get()
            return
        hooks: list = []
        with self.session() as session:
            token, after = self._unit.set(session), self._after.set(hooks)
            try:
                yield session
            finally:
                self._unit.reset(token)
                self._after.reset(after)
        for hook in hooks:  # committed: now caches may be told
            hook()

    def after_commit(self, hook) -> None:
        """Run hook (a cache invalidation, a change published to other replicas) once what was just
        written is committed: at once outside a unit of work, at its commit inside one (never if it
        rolls back), so nobody re-reads the old rows and caches them as new."""
        hooks = self._after.get()
        if hooks is None:
            hook()
        else:
            hooks.append(hook)

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work (autocommit): for single SELECTs that need no transaction."""
        with self._reads() as session:
            yield session

    @contextlib.contextmanager
    def lagging_read(self) -> Iterator[Session]:
        """A read that may be a few seconds behind (listings, audit queries): the replica when
        DATABASE_READ_URL names one. Never for a read that must see a write just made (refresh
        rotation, code redemption, a user just disabled): those use read() or session()."""
        with self._replica_reads() as session:
            yield session

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()
        self.read_engine.dispose()
        if self.replica_engine is not self.read_engine:
            self.replica_engine.dispose()
        if self._relaxed_engine is not None:
            self._relaxed_engine.dispose()
