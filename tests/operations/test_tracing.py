"""OpenTelemetry traces (issue 35 part 3), as an operator turns them on: `idp serve` in a subprocess
on PostgreSQL and Redis with only the standard `OTEL_EXPORTER_OTLP_ENDPOINT` set, exporting
OTLP/HTTP to a real local receiver that decodes what arrives with the OTLP protobuf definitions.

A `/token` request carrying a W3C `traceparent` (W3C Trace Context, section 3.2) must give spans
of that trace: the server span (continued from the caller's parent), PostgreSQL and Redis
children, the signature, and the trace id in the access log line.
"""

from __future__ import annotations

import http.server
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from idp.config import Config, ConfigError
from idp.services import build_services
from idp.store.migrate import upgrade

from ..conftest import REDIS_URL, append_to_run_log, free_port, pg_database, remember_secret
from ..test_servers import wait_until_serving


class OtlpReceiver:
    """An OTLP/HTTP trace receiver (POST /v1/traces, application/x-protobuf) on loopback."""

    def __init__(self):
        self.spans: list = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path == "/v1/traces" and self.headers.get("Content-Type") == "application/x-protobuf":
                    request = ExportTraceServiceRequest()
                    request.ParseFromString(body)
                    for resource_spans in request.resource_spans:
                        service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                        for scope_spans in resource_spans.scope_spans:
                            receiver.spans.extend((service, s) for s in scope_spans.spans)
                    self.send_response(200)
                else:
                    self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of_trace(self, trace_id: str, deadline: float, wanted) -> list:
        while True:
            found = [s for _, s in self.spans if s.trace_id.hex() == trace_id]
            if wanted(found) or time.monotonic() > deadline:
                return found
            time.sleep(0.1)


def attributes(span) -> dict:
    values = {}
    for a in span.attributes:
        kind = a.value.WhichOneof("value")
        values[a.key] = getattr(a.value, kind) if kind else None
    return values


@pytest.fixture(scope="module")
def traced_idp(tmp_path_factory):
    receiver = OtlpReceiver()
    database_url, drop = pg_database("_otel")
    upgrade(database_url)
    port = free_port()
    env = {
        **os.environ,
        "IDP_ENV": "production", "ISSUER": "https://id.example.test", "PORT": str(port), "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": f"idptest:{uuid.uuid4().hex[:8]}:",
        "SESSION_SECRET": secrets.token_urlsafe(32), "KEY_ENCRYPTION_KEY": secrets.token_urlsafe(32),
        "METRICS_TOKEN": secrets.token_urlsafe(32), "METRICS_PORT": str(free_port()),
        "TRUSTED_PROXIES": "127.0.0.1", "WEB_CONCURRENCY": "1", "LOG_LEVEL": "INFO",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path_factory.mktemp("prometheus")),
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_SERVICE_NAME": "idp-under-test",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    remember_secret(env["SESSION_SECRET"], env["KEY_ENCRYPTION_KEY"], env["METRICS_TOKEN"])
    services = build_services(Config.from_env(env))
    client, secret = services.clients.create(name="Traced service", redirect_uris=[],
                                             grant_types=["client_credentials"], scope="")
    remember_secret(secret)
    log_path = tmp_path_factory.mktemp("otel") / "out.log"
    log = open(log_path, "w")
    process = subprocess.Popen([sys.executable, "-m", "idp.cli", "serve", "--host", "127.0.0.1"],
                               env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, time.monotonic() + 30, process, log_path)
        yield {"url": url, "receiver": receiver, "log": log_path, "client": (client.client_id, secret)}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
        append_to_run_log(log_path.read_text())
        receiver.server.shutdown()
        services.db.engine.dispose()
        drop()


def test_a_token_request_with_a_traceparent_gives_its_trace_with_database_redis_and_signing_children(traced_idp):
    """W3C Trace Context: the caller's trace id and parent span id are continued by the server span."""
    trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
    response = requests.post(traced_idp["url"] + "/token", data={"grant_type": "client_credentials"},
                             auth=traced_idp["client"], headers={"traceparent": f"00-{trace_id}-{parent_id}-01"},
                             timeout=10)
    assert response.status_code == 200, response.text

    def complete(spans):
        kinds = {attributes(s).get("db.system") or attributes(s).get("db.system.name") for s in spans}
        return {"postgresql", "redis"} <= kinds and any(s.name == "jwt.sign" for s in spans)

    spans = traced_idp["receiver"].of_trace(trace_id, time.monotonic() + 15, complete)
    assert complete(spans), [(s.name, attributes(s).get("db.system"), s.trace_id.hex()[:6]) for _, s in traced_idp["receiver"].spans]
    server = [s for s in spans if s.kind == s.SPAN_KIND_SERVER]
    assert len(server) == 1 and server[0].parent_span_id.hex() == parent_id and server[0].name == "POST /token"
    children = [s for s in spans if s is not server[0]]
    assert all(s.parent_span_id for s in children)  # every other span hangs in the request's tree
    services = {service.get("service.name") for service, s in traced_idp["receiver"].spans
                if s.trace_id.hex() == trace_id}
    assert services == {"idp-under-test"}  # OTEL_SERVICE_NAME, read by the SDK itself

    access = [json.loads(line) for line in traced_idp["log"].read_text().splitlines()
              if line.startswith("{") and '"type": "access"' in line and '"/token"' in line]
    assert any(line.get("trace_id") == trace_id for line in access), access[-3:]


def test_flask_answers_are_named_by_their_route_an_untraced_caller_starts_a_trace_and_no_query_leaves(traced_idp):
    hint = "hint-" + secrets.token_hex(8)
    response = requests.get(traced_idp["url"] + "/authorize", params={"client_id": "nobody", "login_hint": hint},
                            timeout=10)
    assert response.status_code in (200, 400)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        named = [s for _, s in traced_idp["receiver"].spans if s.name == "GET /authorize"]
        if named:
            break
        time.sleep(0.1)
    assert named and not named[0].parent_span_id and attributes(named[0]).get("http.route") == "/authorize"
    # the query string, where hints and codes travel, never leaves in a span (as in the access log)
    assert hint not in str([attributes(s) for _, s in traced_idp["receiver"].spans])
    assert attributes(named[0]).get("http.target", "/authorize") == "/authorize"


def test_tracing_is_off_without_an_endpoint_and_a_malformed_endpoint_is_refused_in_one_line():
    """The OpenTelemetry variables are the only switch; OTEL_SDK_DISABLED wins (the SDK's own rule)."""
    assert Config.from_env({}).otel_traces_endpoint == ""
    assert Config.from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"}).otel_traces_endpoint \
        == "http://collector:4318/v1/traces"
    assert Config.from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": "", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT":
                            "https://c.example/t"}).otel_traces_endpoint == "https://c.example/t"
    assert Config.from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
                            "OTEL_SDK_DISABLED": "true"}).otel_traces_endpoint == ""
    with pytest.raises(ConfigError, match="OTEL_EXPORTER_OTLP_ENDPOINT"):
        Config.from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"})
    with pytest.raises(ConfigError, match="OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        Config.from_env({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://user:pw@c.example/v1/traces"})


def test_the_embedded_default_installs_nothing_when_tracing_is_off(idp):
    """No endpoint: no provider, no instrumentation, and the step spans are one shared no-op."""
    from idp.observability import tracing

    assert not tracing.enabled()
    assert tracing.span("jwt.sign") is tracing.span("password.hash")
    assert tracing.current_ids() is None
