"""Prometheus metrics under the names operators' alert rules and dashboards already use.

- HTTP: `http_requests_total{method,status,endpoint}` and the `http_request_duration_seconds`
  histogram, recorded by two request hooks (`endpoint` is the route, e.g. `/token`, never the
  raw path, so cardinality stays bounded). prometheus-flask-exporter's own defaults are named
  `http_request_total{method,status}`, which the alert rules do not know.
- Events: failed logins, tokens issued by grant type, database and Redis connection failures.
- `active_sessions_total`: counted at scrape time (a sorted-set cardinality), never per request.

Under gunicorn (`PROMETHEUS_MULTIPROC_DIR` set before prometheus_client is imported) every
worker writes its counters to that directory; a scrape aggregates them. The master serves
them on METRICS_PORT (prometheus-flask-exporter's GunicornPrometheusMetrics, see
idp/gunicorn_conf.py); with METRICS_TOKEN set, `/metrics` on the main port serves them too,
behind that bearer token. Neither is public: the port is not routed by the proxy, the path
answers 401 without the token and 404 when no token is configured.
"""

from __future__ import annotations

import hmac
import os
import time

from flask import Response, g, request

from idp.plumbing.writable import UnwritableDir, make_dir

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
if os.environ.get(MULTIPROC_ENV):  # the metrics below write their files there as soon as they are defined
    try:
        make_dir(MULTIPROC_ENV, os.environ[MULTIPROC_ENV])
    except UnwritableDir as exc:
        raise SystemExit(str(exc)) from None

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics  # noqa: E402 (after the directory is made)
from prometheus_client.core import REGISTRY, GaugeMetricFamily  # noqa: E402
from prometheus_client.exposition import choose_encoder  # noqa: E402
from prometheus_client.multiprocess import MultiProcessCollector  # noqa: E402

disable_created_metrics()  # the *_created series double the output and nobody queries them

HTTP_REQUESTS = Counter("http_requests_total", "HTTP requests", ["method", "status", "endpoint"])
HTTP_DURATION = Histogram("http_request_duration_seconds", "HTTP request duration", ["method", "endpoint"],
                          buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
LOGIN_FAILED = Counter("login_attempts_failed_total", "Failed sign-in attempts (wrong password, unknown or disabled account)")
TOKENS_ISSUED = Counter("tokens_issued_total", "Token responses issued, by grant type", ["grant_type"])
# RFC 8693 exchanges: outcome is "issued" or the OAuth error; kind "delegation" (actor token) or "impersonation"
TOKEN_EXCHANGES = Counter("token_exchanges_total", "Token exchanges (RFC 8693), by outcome and kind", ["outcome", "kind"])
ADMIN_RATE_LIMITED = Counter("admin_api_rate_limited_total", "Admin API requests refused: the client's budget was spent")
DEPENDENCY_FAILURES = {
    "database": Counter("database_connections_failed_total", "Requests or probes that could not reach the database"),
    "redis": Counter("redis_connections_failed_total", "Requests or probes that could not reach Redis"),
}
# The purge (issue 16, docs/retention.md): rows deleted per table, how long a run took, and when
# any purger (this replica, another one, a CronJob) last finished, as recorded in the database.
PURGE_ROWS = Counter("idp_purge_rows_total", "Rows the purge deleted", ["table"])
PURGE_DURATION = Histogram("idp_purge_duration_seconds", "Duration of a purge run",
                           buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600))
PURGE_LAST_SUCCESS = Gauge("idp_purge_last_success_timestamp_seconds", "When a purge last finished (Unix time)",
                           multiprocess_mode="max")
# Webhooks (issue 35, docs/webhooks.md): attempts by outcome, and endpoints the worker disabled
# after failing continuously for WEBHOOK_DISABLE_AFTER.
WEBHOOK_ATTEMPTS = Counter("idp_webhook_attempts_total", "Webhook delivery attempts, by outcome",
                           ["outcome"])  # delivered | retrying | failed
WEBHOOK_DURATION = Histogram("idp_webhook_attempt_duration_seconds", "Duration of a webhook delivery attempt",
                             buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
WEBHOOK_ENDPOINTS_DISABLED = Counter("idp_webhook_endpoints_disabled_total",
                                     "Webhook endpoints disabled after failing continuously")


def dependency_failed(name: str) -> None:
    DEPENDENCY_FAILURES[name].inc()


class ActiveSessions:
    """A collector: the number of signed-in sessions, read from the store when scraped.

    `count(store)` is handed in by whoever composes the app (idp.signin.sessions knows how
    sessions are indexed), so this module depends on no domain.
    """

    def __init__(self, count, store=None):
        self.count = count
        self.store = store  # None: the store of the app serving the scrape

    def describe(self):
        return [GaugeMetricFamily("active_sessions_total", "Signed-in browser sessions")]

    def collect(self):
        store = self.store or _current_store()
        if store is None:
            return
        try:
            count = self.count(store)
        except Exception:  # Redis is down: the scrape still answers, and says so in the counter
            dependency_failed("redis")
            return
        yield GaugeMetricFamily("active_sessions_total", "Signed-in browser sessions", value=count)


class PasswordSchemes:
    """A collector: `idp_users_by_password_scheme{scheme}`, how many users hold each kind of password
    hash (argon2id, or an imported bcrypt, pbkdf2-sha256, … until their next sign-in), so operators
    watch a migration (docs/migration.md). One grouped count of the users table, kept CACHE_SECONDS
    per process: a scrape never costs a table scan, and 1,000,000 users cost one every ten minutes.
    `count(db)` is handed in by whoever composes the app, like ActiveSessions' count."""

    CACHE_SECONDS = 600
    NAME, HELP = "idp_users_by_password_scheme", "Users by the scheme of their password hash (none: no password)"

    def __init__(self, count, db=None):
        self.count, self.db = count, db
        self._cache: dict[int, tuple[float, dict]] = {}  # per database (one per app in a process)

    def describe(self):
        return [GaugeMetricFamily(self.NAME, self.HELP, labels=["scheme"])]

    def collect(self):
        db = self.db or _current_services_attr("db")
        if db is None:
            return
        at, counts = self._cache.get(id(db), (0.0, None))
        if counts is None or time.monotonic() - at > self.CACHE_SECONDS:
            try:
                counts = self.count(db)
            except Exception:  # the database is down: the scrape still answers, and says so
                dependency_failed("database")
                return
            self._cache[id(db)] = (time.monotonic(), counts)
        family = GaugeMetricFamily(self.NAME, self.HELP, labels=["scheme"])
        for scheme, users in sorted(counts.items()):
            family.add_metric([scheme], users)
        yield family


def _current_services_attr(name: str):
    from flask import current_app, has_app_context

    return getattr(current_app.extensions["idp"], name) if has_app_context() else None


def _current_store():
    from flask import current_app, has_app_context

    return current_app.extensions["idp"].store if has_app_context() else None


_in_process: ActiveSessions | None = None


_schemes: PasswordSchemes | None = None


def count_sessions_with(count, count_schemes=None) -> None:
    """Register this process's session (and password-scheme) collectors, once (the app factory calls this)."""
    global _in_process, _schemes
    if _in_process is None:
        _in_process = ActiveSessions(count)
        REGISTRY.register(_in_process)
    if _schemes is None and count_schemes is not None:
        _schemes = PasswordSchemes(count_schemes)
        REGISTRY.register(_schemes)


def scrape_registry(store=None) -> CollectorRegistry:
    """What a scrape sees: every worker's metrics (multiprocess) or this process's, plus live sessions."""
    if not os.environ.get(MULTIPROC_ENV):
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    if _in_process is not None:
        registry.register(ActiveSessions(_in_process.count, store))
    if _schemes is not None:
        registry.register(_schemes)  # its own cache; the database of the app serving the scrape
    return registry


_series: dict[tuple, tuple] = {}  # (method, status, rule) -> its two series; bounded by the routes


def observe_request(method: str, status: int, rule: str, seconds: float) -> None:
    """Count one answered request and its duration (`rule` is the route, never the raw path)."""
    series = _series.get((method, status, rule))
    if series is None:
        series = _series[(method, status, rule)] = (HTTP_REQUESTS.labels(method, str(status), rule),
                                                    HTTP_DURATION.labels(method, rule))
    series[0].inc()
    series[1].observe(seconds)


def install_metrics(app, config) -> None:
    if not config.metrics_enabled:
        return

    @app.before_request
    def _start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        started = g.pop("metrics_started", None)
        rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
        if started is None or rule == "/metrics":
            return response
        observe_request(request.method, response.status_code, rule, time.perf_counter() - started)
        return response

    if config.metrics_token:
        expected = f"Bearer {config.metrics_token}".encode()

        @app.get("/metrics")
        def metrics():
            presented = request.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(presented, expected):
                return Response("metrics need the bearer token\n", 401, {
                    "WWW-Authenticate": 'Bearer realm="metrics"', "Cache-Control": "no-store"})
            encode, content_type = choose_encoder(request.headers.get("Accept"))
            return Response(encode(scrape_registry()), 200, {"Content-Type": content_type, "Cache-Control": "no-store"})
