"""A migrated database of a test module's own (not a live server's): PostgreSQL or SQLite."""

from __future__ import annotations

import contextlib

from idp.store.db import Database
from idp.store.migrate import upgrade

from .conftest import pg_database


@contextlib.contextmanager
def migrated_database(backend: str, label: str, tmp_path_factory):
    """Yields (Database, url); the database is dropped (or its file left to pytest) afterwards."""
    if backend == "postgres":
        url, drop = pg_database("_" + label)
    else:
        url, drop = "sqlite:///" + str(tmp_path_factory.mktemp(label) / "idp.sqlite"), (lambda: None)
    upgrade(url)
    db = Database(url)
    try:
        yield db, url
    finally:
        db.dispose()
        drop()
