"""Structured logs: one JSON object per line on stdout, with the request id, never a secret.

Field names follow the ELK pipeline operators already run (`timestamp` ISO 8601,
lowercase `level`, `action` + `tags: ["audit"]` on audit events). Every line goes
through `redact` before it is written: third-party libraries log more than we
control (authlib's DEBUG lines print whole token responses, werkzeug's request
lines carry query strings), so secrets are scrubbed at the one place every line passes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sys

from gunicorn import glogging
from pythonjsonlogger.json import JsonFormatter

# key=value, "key": "value" and 'key': 'value' for the parameters that carry secrets
_SECRET_PARAMS = re.compile(
    r"""(?P<key>\b(?:password|client_secret|secret|code|token|access_token|refresh_token|id_token|id_token_hint"""
    r"""|assertion|code_verifier)\b["']?\s*[:=]\s*)(?P<value>"[^"]*"|'[^']*'|[^"'&\s,;}]+)""",
    re.IGNORECASE,
)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_AUTH_HEADER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
REDACTED = "[REDACTED]"

# Libraries whose verbose levels print request data: never below these, whatever LOG_LEVEL says.
_FLOORS = {"authlib": logging.INFO, "sqlalchemy": logging.WARNING, "urllib3": logging.INFO}

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _redact_value(match: re.Match) -> str:
    quote = match.group("value")[0]
    return match.group("key") + (f"{quote}{REDACTED}{quote}" if quote in "\"'" else REDACTED)


def redact(text: str) -> str:
    text = _JWT.sub(REDACTED, text)
    text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return _SECRET_PARAMS.sub(_redact_value, text)


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
    from flask import g, has_request_context

    return g.get("request_id") if has_request_context() else None


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
        """One JSON line per request, written straight to the access log's streams: going through
        a LogRecord, python-json-logger and the redaction of the whole line cost a tenth of a small
        request's CPU. Same fields as every other line; the free-form parts are still redacted."""
        if not self.cfg.accesslog or not self.access_log.isEnabledFor(logging.INFO):
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        method, path = environ.get("REQUEST_METHOD"), redact(environ.get("PATH_INFO") or "")
        user_agent = environ.get("HTTP_USER_AGENT")
        line = json.dumps({
            "message": f"{method} {path} {status}",
            "type": "access",
            "method": method,
            "path": path,
            "status": int(status),
            "duration_ms": round(request_time.total_seconds() * 1000, 3),
            "remote_addr": environ.get("REMOTE_ADDR"),
            "scheme": environ.get("wsgi.url_scheme"),
            "bytes": getattr(resp, "sent", None),
            "user_agent": redact(user_agent) if user_agent else user_agent,
            "request_id": next((v for k, v in resp.headers if k.lower() == "x-request-id"), None),
            "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": "info",
            "logger": self.access_log.name,
        }, ensure_ascii=False) + "\n"
        for handler in self.access_log.handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is not None:
                with handler.lock:
                    handler.stream.write(line)
                    handler.stream.flush()
            else:  # e.g. a syslog handler: the ordinary way
                handler.handle(logging.makeLogRecord({"name": self.access_log.name, "levelno": logging.INFO,
                                                      "levelname": "INFO", "msg": line.rstrip("\n")}))
