"""Structured logs: JSON lines, the request id, and no secret in a line whatever a library prints."""

from __future__ import annotations

import io
import json
import logging

import requests

from idp.observability.logs import GunicornLogger, configure_logging, json_formatter, redact


def test_request_id_is_taken_from_x_request_id_and_echoed(idp):
    response = requests.get(idp.endpoint("/health"), headers={"X-Request-ID": "edge-1234.abc"}, timeout=5)
    assert response.headers["X-Request-ID"] == "edge-1234.abc"


def test_an_unsafe_or_missing_request_id_is_replaced(idp):
    for value in ("", "bad id {\"level\": \"error\"}", "x" * 200):
        response = requests.get(idp.endpoint("/health"), headers={"X-Request-ID": value}, timeout=5)
        assert response.headers["X-Request-ID"] not in (value, "") and len(response.headers["X-Request-ID"]) == 32


def test_redaction_covers_forms_json_reprs_headers_and_jwts():
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJlLXZhbHVl"
    lines = {
        "grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA&client_secret=s3cr3t-v4lue": "SplxlOBeZQQYbYS6WxSbIA",
        '{"password": "correct horse battery staple"}': "horse battery",
        "Issue token {'refresh_token': 'r3fr3sh-t0ken-value', 'token_type': 'Bearer'}": "r3fr3sh",
        "Authorization: Basic Y2xpZW50OnNlY3JldA==": "Y2xpZW50OnNlY3JldA",
        f"GET /authorize?id_token_hint={jwt} HTTP/1.1": jwt,
        f"unexpected {jwt}": jwt,
    }
    for line, secret in lines.items():
        assert secret not in redact(line), line
    assert redact('{"token_type": "Bearer", "status": 200}') == '{"token_type": "Bearer", "status": 200}'


def test_library_debug_lines_stay_quiet_and_redacted_at_debug_level():
    """authlib logs whole token responses at DEBUG: LOG_LEVEL=DEBUG must not bring them out."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    try:
        configure_logging("DEBUG", stream=stream)
        logging.getLogger("authlib.oauth2").debug("Issue token %r to %r", {"access_token": "a.b.c"}, "client")
        logging.getLogger("sqlalchemy.engine").info("INSERT ... ('r3fr3sh-t0ken',)")
        logging.getLogger("idp").debug("debug from the app")
        lines = [json.loads(line) for line in stream.getvalue().splitlines()]
        assert [line["message"] for line in lines] == ["debug from the app"]
        assert lines[0]["level"] == "debug" and lines[0]["timestamp"].endswith("+00:00")
    finally:
        root.level, root.handlers[:] = saved[0], saved[1]
        logging.getLogger("authlib").setLevel(logging.INFO)
        logging.getLogger("sqlalchemy").setLevel(logging.WARNING)


def test_gunicorn_logs_use_the_json_formatter():
    from gunicorn.config import Config

    cfg = Config()
    cfg.set("accesslog", "-")
    logger = GunicornLogger(cfg)
    for log in (logger.error_log, logger.access_log):
        assert log.handlers and all(type(h.formatter) is type(json_formatter()) for h in log.handlers)
