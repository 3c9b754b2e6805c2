"""The revocation cache in Redis, and its rebuild after Redis lost it (a restart without persistence,
a flush, an eviction).

Every replica reads revocations from Redis (`rev:<kind>:<id>`, one MGET per token check). While
the `rev:loaded` marker is missing the cache may be incomplete, so a check asks the durable list
instead (one primary-key lookup) and this process starts the rebuild in the background: never
on the request path, where loading a million rows would hold a request (and the token endpoint
behind it) for seconds. One replica rebuilds at a time (a short Redis lease, renewed per page);
it reads active revocations in pages by primary key and writes each page in one pipelined round
trip, then sets the marker. Revocations made meanwhile go to both places, so none is missed.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time

from idp.plumbing.security import random_token
from idp.store.ephemeral import EphemeralStore
from idp.store.models import utcnow
from idp.store.refresh_tokens import Revocations

LOADED = "rev:loaded"
LOADED_TTL = 6 * 3600  # then rebuilt again: a key Redis evicted under memory pressure comes back
LEASE = "rev:rebuilding"
LEASE_TTL = 60
PAGE = 5000

log = logging.getLogger("idp.revocations")


class RevocationCache:
    def __init__(self, store: EphemeralStore, revocations: Revocations, page: int = PAGE):
        self.store, self.revocations, self.page = store, revocations, page
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def rebuild(self) -> int | None:
        """Fill the cache from the durable list; the number loaded, or None if another rebuild runs."""
        owner = f"{os.getpid()}:{random_token(8)}"
        if not self.store.add(LEASE, owner, LEASE_TTL):
            return None
        started, loaded = time.monotonic(), 0
        try:
            for rows in self.revocations.active_pages(self.page):
                now = utcnow()
                self.store.set_many([("rev:" + ident, "1", int((expires_at - now).total_seconds()) + 1)
                                     for ident, expires_at in rows])
                loaded += len(rows)
                self.store.set(LEASE, owner, LEASE_TTL)  # still at it: keep the lease
            self.store.set(LOADED, "1", LOADED_TTL)
        finally:
            self.store.delete(LEASE)
        log.info("revocation cache rebuilt", extra={"revocations": loaded,
                                                    "seconds": round(time.monotonic() - started, 3)})
        return loaded

    def rebuild_in_background(self) -> None:
        """Start this process's rebuild thread unless one is running."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._rebuild_quietly, name="idp-revocation-cache", daemon=True)
            self._thread.start()

    def wait(self, timeout: float) -> None:
        """Tests and the bench: until this process's rebuild finished."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _rebuild_quietly(self) -> None:
        try:
            self.rebuild()
        except Exception:  # Redis or the database went away again: the next token check retries
            log.exception("revocation cache rebuild failed; checks use the durable list meanwhile")


def durable_revocations(revocations: Revocations, page: int = PAGE):
    """Every active revocation as the feed mirrors it (idp/store/feed.py): (key, "1", expires at)."""
    for rows in revocations.active_pages(page):
        for ident, expires_at in rows:
            yield "rev:" + ident, "1", expires_at.replace(tzinfo=dt.timezone.utc).timestamp()
