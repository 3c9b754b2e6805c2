"""The access log: one JSON line per answered request, the same under gunicorn (its logger class,
idp.observability.logs.GunicornLogger) and granian (the WSGI middleware below, since granian's
own access log is a text format of its own). The path is written without its query string, where
id_token_hint and login_hint travel; the free-form parts are redacted like every other line.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time

from idp.observability.redaction import redact

ACCESS_LOGGER = "idp.access"


def access_line(environ: dict, status, response_headers, seconds: float, sent: int | None, logger_name: str) -> str:
    """The JSON line for one request: `status` as an int or a WSGI status string."""
    status = int(status.split(None, 1)[0]) if isinstance(status, str) else int(status)
    method, path = environ.get("REQUEST_METHOD"), redact(environ.get("PATH_INFO") or "")
    user_agent = environ.get("HTTP_USER_AGENT")
    return json.dumps({
        "message": f"{method} {path} {status}",
        "type": "access",
        "method": method,
        "path": path,
        "status": status,
        "duration_ms": round(seconds * 1000, 3),
        "remote_addr": environ.get("REMOTE_ADDR"),
        "scheme": environ.get("wsgi.url_scheme"),
        "bytes": sent,
        "user_agent": redact(user_agent) if user_agent else user_agent,
        "request_id": next((v for k, v in response_headers if k.lower() == "x-request-id"), None),
        "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"),
        "level": "info",
        "logger": logger_name,
        **({"trace_id": environ["idp.trace_id"]} if "idp.trace_id" in environ else {}),  # observability/tracing.py
    }, ensure_ascii=False) + "\n"


def write_line(logger: logging.Logger, line: str) -> None:
    """Straight to the logger's streams: going through a LogRecord, python-json-logger and the
    redaction of the whole line cost a tenth of a small request's CPU."""
    handlers = logger.handlers or logging.getLogger().handlers
    for handler in handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream is not None:
            with handler.lock:
                handler.stream.write(line)
                handler.stream.flush()
        else:  # e.g. a syslog handler: the ordinary way
            handler.handle(logging.makeLogRecord({"name": logger.name, "levelno": logging.INFO,
                                                  "levelname": "INFO", "msg": line.rstrip("\n")}))


class AccessLogMiddleware:
    """Wraps the WSGI app: the line is written when the app returns its body. Every response of
    the IdP is built whole by then (nothing streams), so the duration is the request's and the
    size its Content-Length, without wrapping the body iterable (which would slow each write)."""

    def __init__(self, app, logger_name: str = ACCESS_LOGGER):
        self.app, self.logger = app, logging.getLogger(logger_name)

    def __call__(self, environ, start_response):
        if not self.logger.isEnabledFor(logging.INFO):
            return self.app(environ, start_response)
        started = time.perf_counter()
        seen = []

        def start(status, headers, exc_info=None):
            seen[:] = [status, headers]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        body = self.app(environ, start)
        if seen:
            status, headers = seen
            length = next((v for k, v in headers if k.lower() == "content-length"), None)
            write_line(self.logger, access_line(environ, status, headers, time.perf_counter() - started,
                                                int(length) if length and length.isascii() and length.isdigit()
                                                else None, self.logger.name))
        return body
