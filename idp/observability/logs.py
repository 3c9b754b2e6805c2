"""Structured logs: one JSON object per line on stdout, with the request id, never a secret.

Field names follow the ELK pipeline operators already run (`timestamp` ISO 8601,
lowercase `level`, `action` + `tags: ["audit"]` on audit events). Every line goes
through `redact` before it is written: third-party libraries log more than we
control (authlib's DEBUG lines print whole token responses, werkzeug's request
lines carry query strings), so secrets are scrubbed at the one place every line passes.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import sys

from gunicorn import glogging
from pythonjsonlogger.json import JsonFormatter

from idp.observability import tracing
from idp.observability.access_log import access_line, write_line
from idp.observability.redaction import redact

# Libraries whose verbose levels print request data: never below these, whatever LOG_LEVEL says.
_FLOORS = {"authlib": logging.INFO, "sqlalchemy": logging.WARNING, "urllib3": logging.INFO}

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class IdPJsonFormatter(JsonFormatter):
    """python-json-logger's formatter with the pipeline's field names, and redaction of the whole line."""

    def add_fields(self, log_record, record, message_dict):
        super().add_fields(log_record, record, message_dict)
        log_record["timestamp"] = dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(
            timespec="milliseconds")
        log_record["level"] = record.levelname.lower()
        log_record["logger"] = record.name
        request_id = _current_request_id()
        if request_id and "request_id" not in log_record:
            log_record["request_id"] = request_id
        ids = tracing.current_ids()  # logs and traces meet on the trace id (None when tracing is off)
        if ids and "trace_id" not in log_record:
            log_record["trace_id"], log_record["span_id"] = ids

    def format(self, record):
        return redact(super().format(record))


def json_formatter() -> IdPJsonFormatter:
    return IdPJsonFormatter("%(message)s", json_ensure_ascii=False)


def configure_logging(level: str = "INFO", stream=None) -> logging.Handler:
    """JSON lines on stdout for the whole process; idempotent (replaces only the handler it installed)."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(json_formatter())
    handler._idp = True
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not getattr(h, "_idp", False)] + [handler]
    root.setLevel(level)
    for name, floor in _FLOORS.items():
        logging.getLogger(name).setLevel(max(floor, root.level))
    return handler


# -- request id ----------------------------------------------------------------
def _current_request_id() -> str | None:
    from flask import g, has_app_context

    return g.get("request_id") if has_app_context() else None  # a view, or oauth/direct.py's app context


def request_id_for(incoming: str | None) -> str:
    """The proxy's X-Request-ID when it is a sane token, else a new one."""
    return incoming if incoming and _REQUEST_ID.match(incoming) else os.urandom(16).hex()


def install_request_id(app) -> None:
    """Take the proxy's X-Request-ID or make one (request_id_for); echo it on the response."""
    from flask import g, request

    @app.before_request
    def _request_id():
        g.request_id = request_id_for(request.headers.get(REQUEST_ID_HEADER))

    @app.after_request
    def _echo_request_id(response):
        if "request_id" in g:
            response.headers[REQUEST_ID_HEADER] = g.request_id
        return response


# -- gunicorn ------------------------------------------------------------------
class GunicornLogger(glogging.Logger):
    """gunicorn's error and access logs as the same JSON lines. The access line has the path
    without its query string (where id_token_hint and login_hint travel) and the request id."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(json_formatter())

    def access(self, resp, req, environ, request_time):
        """One JSON line per request (idp.observability.access_log), same fields as granian's."""
        if not self.cfg.accesslog or not self.access_log.isEnabledFor(logging.INFO):
            return
        write_line(self.access_log, access_line(environ, resp.status, resp.headers, request_time.total_seconds(),
                                                getattr(resp, "sent", None), self.access_log.name))
