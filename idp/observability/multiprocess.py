"""Prometheus across worker processes, whichever server forks them (gunicorn or granian).

Each worker writes its series to files in PROMETHEUS_MULTIPROC_DIR, set here before any worker
imports prometheus_client; the main process serves the aggregate of every worker, plus live
sessions, on METRICS_PORT. A worker that is gone must leave the live gauges (its counters stay
counted): gunicorn says so in its child_exit hook; granian has no such hook, so a thread of the
main process looks for files of processes that no longer exist.
"""

from __future__ import annotations

import glob
import logging
import os
import re
import tempfile
import threading

from idp.plumbing.writable import make_dir

log = logging.getLogger(__name__)
_PID = re.compile(r"_(\d+)\.db$")


def prepare_multiprocess_dir() -> str | None:
    """A directory for the workers' metric files, emptied of a previous run's files.
    Returns the directory when it was created here (and is removed at exit)."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    created = None if path else tempfile.mkdtemp(prefix="idp-metrics-")
    path = make_dir("PROMETHEUS_MULTIPROC_DIR", path or created)
    for stale in glob.glob(os.path.join(path, "*.db")):
        os.remove(stale)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return created


def serve_aggregated_metrics(port: int, host: str, *collectors) -> bool:
    """Every worker's metrics, plus `collectors` (live sessions), on `port` at `host`; False when
    the port is taken (the IdP is served anyway, and the log says why metrics are missing)."""
    from prometheus_client import CollectorRegistry
    from prometheus_flask_exporter.multiprocess import GunicornPrometheusMetrics

    registry = CollectorRegistry()
    for collector in collectors:
        registry.register(collector)
    try:
        # Despite its name it only serves a multiprocess registry over HTTP: nothing gunicorn-specific.
        GunicornPrometheusMetrics(registry=registry).start_http_server(port, host)
    except OSError as exc:
        log.error("metrics port %s: %s", port, exc)
        return False
    log.info("metrics on %s:%s", host, port)
    return True


def mark_dead(pid: int, path: str | None = None) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid, path)


def reap_dead_workers(path: str | None = None) -> list[int]:
    """Mark dead every process whose live-gauge files remain but which no longer exists."""
    path = path or os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path:
        return []
    pids = {int(m.group(1)) for name in os.listdir(path) if name.startswith("gauge_live")
            for m in [_PID.search(name)] if m}
    gone = [pid for pid in sorted(pids) if not _alive(pid)]
    for pid in gone:
        mark_dead(pid, path)
    return gone


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process has that pid now: not one of our workers
        return False
    return True


def start_reaper(interval: float = 5.0) -> threading.Event:
    """A daemon thread reaping dead workers every `interval` seconds; set the event to stop it."""
    stop = threading.Event()

    def run():
        while not stop.wait(interval):
            try:
                reap_dead_workers()
            except OSError as exc:  # the directory went away at shutdown
                log.debug("metrics reaper: %s", exc)

    threading.Thread(target=run, name="metrics-reaper", daemon=True).start()
    return stop
