"""Engine and session factory for the durable store."""

from __future__ import annotations

import contextlib
import os
import select
from collections.abc import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker


def normalize_url(url: str) -> str:
    """Operators write postgresql://; the driver we ship is psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str, pool_size: int = 5, **options) -> Engine:
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
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
        connect_args={"connect_timeout": 2, "options": "-c statement_timeout=5000"},
        **options,
    )
    engine.dialect.do_ping = idle_connection_alive
    return engine


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
    def __init__(self, url: str, pool_size: int = 5):
        self.engine = make_engine(url, pool_size)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Hot-path reads use a pool of autocommit connections: a single SELECT needs no BEGIN/COMMIT,
        # and a separate pool avoids switching (and resetting) the isolation level on every checkout.
        self.read_engine = make_engine(url, pool_size, isolation_level="AUTOCOMMIT")
        self._reads = sessionmaker(self.read_engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on any error."""
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work (autocommit): for single SELECTs that need no transaction."""
        with self._reads() as session:
            yield session

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()
        self.read_engine.dispose()
