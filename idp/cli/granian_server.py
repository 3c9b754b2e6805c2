"""`idp serve` on granian, the default server (issue 20): a Rust HTTP server that calls the WSGI
app from a few blocking threads per worker. Measured on one core against gunicorn gthread it served
discovery at several times the rate and client_credentials at about 1.5x with a shorter p99
(bench/README.md). Four threads: a code flow waits on Redis three times, and with one thread the
core idled through each wait (0.66x of oidc-provider's flows against 0.85x with four); eight gained
little more and lengthened the token p99 at 8 connections by a third. WEB_CONCURRENCY workers scale
beyond one core.

What gunicorn's configuration (idp/gunicorn_conf.py) gives operators holds here too:
- graceful shutdown: SIGTERM stops accepting, in-flight requests finish, and a worker still busy
  after GRACEFUL_TIMEOUT seconds (below Kubernetes' 30 s grace period) is killed;
- a worker that dies is replaced (respawn_failed_workers), its live gauges leave the metrics;
- Prometheus in multiprocess mode, the main process serving every worker's metrics on METRICS_PORT;
- forwarded headers trusted only from TRUSTED_PROXIES (idp.plumbing.proxy, inside the app);
- JSON access lines with the same fields as gunicorn's (idp.observability.access_log), and
  granian's own log lines as JSON too.
`gunicorn -c python:idp.gunicorn_conf 'idp.app:create_app()'` and `idp serve --server gunicorn`
keep working for operators who run gunicorn.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
import shutil

from idp.config import Config
from idp.observability.logs import configure_logging
from idp.observability.multiprocess import prepare_multiprocess_dir, serve_aggregated_metrics, start_reaper

GRACEFUL_TIMEOUT = 25  # seconds; gunicorn_conf's graceful_timeout
# granian's Rust I/O threads per worker (its default is one): with two, reading and writing the
# sockets overlaps the Python work (on one core against oidc-provider: the JWKS at 8 connections
# 0.92x -> 1.01x, client_credentials 0.87x -> 0.99x, introspection 0.85x -> 0.92x).
RUNTIME_THREADS = 2
_stopping = None  # set to 1 by the main process on SIGTERM (see _server_class)
GRANIAN_LOGGING = {  # granian's own lines ("Spawning worker-1 ...") as JSON, like every other line
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "idp.observability.logs.json_formatter"}},
    "handlers": {"console": {"formatter": "json", "class": "logging.StreamHandler", "stream": "ext://sys.stdout"}},
    "loggers": {"_granian": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}


def run_granian(config: Config, host: str, workers: int, threads: int) -> None:
    """Serve `config`'s app with `workers` processes of `threads` blocking threads; returns at shutdown."""
    from granian.constants import Interfaces
    from granian.log import LogLevels

    global _stopping
    _stopping = multiprocessing.RawValue("b", 0)  # shared with the forked workers
    Server = _server_class()
    created = prepare_multiprocess_dir() if config.metrics_enabled else None
    configure_logging(config.log_level)
    server = Server(
        "idp.app:create_app",  # a label only: the worker builds the app with worker_app(config)
        address=host, port=config.port, interface=Interfaces.WSGI, workers=workers, blocking_threads=threads,
        respawn_failed_workers=True, workers_kill_timeout=GRACEFUL_TIMEOUT, runtime_threads=RUNTIME_THREADS,
        log_level=LogLevels(config.log_level.lower()) if config.log_level.lower() in LogLevels.__members__
        else LogLevels.info, log_dictconfig=GRANIAN_LOGGING, log_access=False,
    )
    reaper = None
    if config.metrics_enabled and config.metrics_port:
        from idp.services import scrape_collectors

        serve_aggregated_metrics(config.metrics_port, config.metrics_host or host, *scrape_collectors(config))
        reaper = start_reaper()
    try:
        server.serve(target_loader=functools.partial(worker_app, config), wrap_loader=False)
    finally:
        if reaper is not None:
            reaper.set()
        if created:
            shutil.rmtree(created, ignore_errors=True)


def _server_class():
    """granian's server, with SIGTERM honoured by a worker that is still loading the app.

    A forked worker inherits the main process's SIGTERM handler, which only wakes the main loop of
    the main process; the worker installs its own only once the app is loaded (seconds). A SIGTERM
    in between was swallowed: the worker went on to serve, was killed after GRACEFUL_TIMEOUT
    ("refused to gracefully stop"), and the next worker ms later, its share of the budget spent -
    past Kubernetes' grace period. Such a worker has nothing in flight: it exits at once. A SIGTERM
    that reaches a worker before Python's after-fork set-up is dropped by it (CPython clears the
    pending signals then), so the main process also raises `_stopping`, which worker_app reads."""
    from granian.server import Server

    class IdPServer(Server):
        def signal_handler_interrupt(self, *args, **kwargs):
            if getattr(self, "pid", None) not in (None, os.getpid()):  # in a worker still loading the app
                raise SystemExit(0)
            _stopping.value = 1
            super().signal_handler_interrupt(*args, **kwargs)

    return IdPServer


def worker_app(config: Config):
    """Run in each worker process: the app, inside the JSON access log, with what start-up made
    frozen out of later garbage collections (gunicorn_conf.post_worker_init says why)."""
    from idp.app import create_app
    from idp.observability.access_log import AccessLogMiddleware

    _exit_if_stopping()
    configure_logging(config.log_level)  # granian configured logging anew in this process
    app = create_app(config)
    gc.freeze()
    _exit_if_stopping()
    return AccessLogMiddleware(app)


def _exit_if_stopping() -> None:
    """In a worker: the main process is shutting down (its SIGTERM to us may have been dropped)."""
    if _stopping is not None and _stopping.value:
        raise SystemExit(0)
