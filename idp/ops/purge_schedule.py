"""The purge as operations run it: `idp db purge` once, or every PURGE_INTERVAL inside the IdP.

Every replica (every gunicorn worker) starts the thread; each round, the one that takes the
purge lock works and the others skip (idp/store/purge.py). Whoever worked records the time in
the database, and every worker reports that time as idp_purge_last_success_timestamp_seconds,
so the alert (deploy/prometheus/alerts.yml) sees the latest success from any replica or CronJob.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time

from idp.observability.metrics import PURGE_DURATION, PURGE_LAST_SUCCESS, PURGE_ROWS
from idp.store.purge import Purge, PurgeReport, Retention

log = logging.getLogger("idp.purge")
FIRST_RUN_WITHIN = 300  # seconds: replicas started together do not all knock at once


def purge_for(services) -> Purge:
    config = services.config
    return Purge(services.db, Retention.from_config(config), config.purge_batch)


def run_purge(purge: Purge, dry_run: bool = False, batch: int | None = None) -> PurgeReport | None:
    """One run with its metrics; None when another purger holds the lock."""
    on_batch = None if dry_run else (lambda table, rows: PURGE_ROWS.labels(table).inc(rows))
    report = purge.run(dry_run=dry_run, batch=batch, on_batch=on_batch)
    if report is not None and not dry_run:
        PURGE_DURATION.observe(report.seconds)
        log.info("purge finished", extra={"rows": report.rows, "seconds": round(report.seconds, 3)})
    publish_last_success(purge)
    return report


def publish_last_success(purge: Purge) -> None:
    last = purge.last_success()
    if last is not None:
        PURGE_LAST_SUCCESS.set(last)


class PurgeSchedule:
    def __init__(self, purge: Purge, interval: int):
        self.purge, self.interval = purge, interval
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()
        self.stopped = threading.Event()

    def start(self) -> None:
        """Start this process's thread (again after a fork: threads do not survive one)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="idp-purge", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        wait = random.uniform(1, min(self.interval, FIRST_RUN_WITHIN))
        while not self.stopped.wait(wait):
            started = time.monotonic()
            try:
                if run_purge(self.purge) is None:
                    log.debug("purge skipped: another replica holds the lock")
            except Exception:  # the database was away: the next round tries again
                log.exception("purge failed; the next round retries")
            wait = max(1.0, self.interval - (time.monotonic() - started))


def start_purge_schedule(services) -> PurgeSchedule | None:
    """The app factory's one line: the in-app purge, unless PURGE_INTERVAL=0 (a CronJob runs it)."""
    if not services.config.purge_interval:
        return None
    schedule = PurgeSchedule(purge_for(services), services.config.purge_interval)
    schedule.start()
    return schedule
