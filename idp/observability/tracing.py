"""OpenTelemetry traces (issue 35): off unless an OTLP endpoint is named by the standard variables.

`OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) turns tracing on; every
other knob is the OpenTelemetry SDK's own variable, read by the SDK itself (`OTEL_SERVICE_NAME`,
`OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER[_ARG]`, `OTEL_EXPORTER_OTLP_HEADERS`,
`OTEL_BSP_*`, …): nothing of ours to learn. Spans leave over OTLP/HTTP (protobuf).

What is traced, with the OpenTelemetry instrumentations (not spans of our own where one exists):
* one SERVER span per request, around the whole WSGI stack, so the pre-Flask lanes (the token
  endpoint's direct lane, discovery and the JWKS) are traced like Flask's views; a caller's W3C
  `traceparent` is continued; Flask's matched route names the span;
* PostgreSQL/SQLite statements (SQLAlchemy), Redis commands, and requests' HTTP calls (upstream
  providers, via authlib);
* by hand, where no instrumentation exists: the outbound guard's http.client requests
  (idp/plumbing/outbound.py: jwks_uri, back-channel logout, webhooks), password hashing and
  verification, and token signing (`span()` below).

Off, nothing is installed and `span()` returns one shared no-op context: no cost but a test.
The instrumentations patch process-wide libraries, so tracing is configured once per process
(each server worker calls `install` from create_app after it forked).
"""

from __future__ import annotations

import contextlib
import logging

log = logging.getLogger("idp")

_NO_SPAN = contextlib.nullcontext()
QUERY_CARRIERS = ("QUERY_STRING", "RAW_URI", "REQUEST_URI")  # what the WSGI instrumentation would copy a query from
_tracer = None  # the idp tracer once tracing is on in this process


def span(name: str, **attributes):
    """A child span around one step; the shared no-op context when tracing is off."""
    if _tracer is None:
        return _NO_SPAN
    return _tracer.start_as_current_span(name, attributes=attributes or None)


@contextlib.contextmanager
def client_span(method: str, scheme: str, host: str, port: int, headers: dict):
    """A CLIENT span around an outbound request made with http.client, whose W3C `traceparent`
    is written into `headers`; yields the span (None when tracing is off)."""
    if _tracer is None:
        yield None
        return
    from opentelemetry import propagate
    from opentelemetry.trace import SpanKind

    attributes = {"http.request.method": method, "server.address": host, "server.port": port, "url.scheme": scheme}
    with _tracer.start_as_current_span(f"{method}", kind=SpanKind.CLIENT, attributes=attributes) as current:
        propagate.inject(headers)
        yield current


def enabled() -> bool:
    return _tracer is not None


def current_ids() -> tuple[str, str] | None:
    """(trace_id, span_id) of the current span, as the W3C hex strings logs carry; None when off."""
    if _tracer is None:
        return None
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


def install(app, services) -> None:
    """Trace this process's requests, statements and calls when the configuration asks for it."""
    config = services.config
    if not config.otel_traces_endpoint:
        return
    _start_provider(config.otel_traces_endpoint)
    _instrument_libraries()
    _instrument_engines(services)
    _wrap_wsgi(app)


def _start_provider(endpoint: str) -> None:
    global _tracer
    if _tracer is not None:
        return
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # Resource.create reads OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES; ours is only the default name.
    resource = Resource.create({SERVICE_NAME: "idp"}).merge(Resource.create())
    provider = TracerProvider(resource=resource)  # the sampler from OTEL_TRACES_SAMPLER
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))  # headers etc.: OTEL_EXPORTER_OTLP_*
    trace.set_tracer_provider(provider)
    _tracer = trace.get_tracer("idp")
    log.info("OpenTelemetry traces on: OTLP/HTTP export")


def _instrument_libraries() -> None:
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    for instrumentor in (RedisInstrumentor(), RequestsInstrumentor()):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument()


def _instrument_engines(services) -> None:
    """The engines (the primary, the autocommit reader, a replica, the audit rows' relaxed one), once
    per process: the instrumentor is a process-wide singleton that instruments only on its first call."""
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    instrumentor = SQLAlchemyInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        db = services.db
        engines = {id(e): e for e in (db.engine, db.read_engine, db.replica_engine, db.relaxed_engine)}
        # The instrumentation declares SQLAlchemy < 2.1 while it works through the engine events 2.1 keeps:
        # its version check is skipped, and tests/operations/test_tracing.py proves the spans arrive.
        instrumentor.instrument(engines=list(engines.values()), enable_commenter=False, skip_dep_check=True)


def _wrap_wsgi(app) -> None:
    """The SERVER span around the whole stack (the pre-Flask lanes included), named by Flask's
    route when Flask answers; the trace id is left in the environ for the access log line."""
    from flask import request
    from opentelemetry import trace
    from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware

    inner = app.wsgi_app
    fixed_paths = {"/token", "/introspect", "/jwks.json", "/.well-known/openid-configuration",
                   "/.well-known/oauth-authorization-server"}

    def with_trace_id(environ, start_response):
        environ.update(environ.pop("idp.hidden_from_trace", {}))
        ids = current_ids()
        if ids:
            environ["idp.trace_id"] = ids[0]
        return inner(environ, start_response)

    def low_cardinality_name(current, environ) -> None:  # a fixed path, else the method until Flask names the route
        if environ.get("PATH_INFO", "") not in fixed_paths and current.is_recording():
            current.update_name(environ.get("REQUEST_METHOD", "HTTP"))

    traced = OpenTelemetryMiddleware(with_trace_id, request_hook=low_cardinality_name)

    def without_query(environ, start_response):
        """The span records the path, never the query string, where id_token_hint, login_hint and
        codes travel (as the access log does); the app gets it back before it runs."""
        environ["idp.hidden_from_trace"] = {k: environ.pop(k) for k in QUERY_CARRIERS if k in environ}
        return traced(environ, start_response)

    app.wsgi_app = without_query

    @app.before_request
    def _name_span_by_route():
        rule = request.url_rule
        current = trace.get_current_span()
        if rule is not None and current.is_recording():
            current.update_name(f"{request.method} {rule.rule}")
            current.set_attribute("http.route", rule.rule)
