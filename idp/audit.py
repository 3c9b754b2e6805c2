"""The audit trail: security-relevant events (sign-ins, failures, consents, token revocations).

Every event is a structured log line on the `idp.audit` logger; the durable,
queryable table comes with the operations work (issue 6) behind this same call.
"""

from __future__ import annotations

import logging

log = logging.getLogger("idp.audit")


def record(event: str, *, user_id: str | None = None, client_id: str | None = None, **fields) -> None:
    """Record one event. Never pass secrets, passwords, tokens or codes in fields."""
    from flask import current_app, has_app_context, has_request_context, request

    if has_app_context() and not current_app.extensions["idp"].config.enable_audit_logs:
        return
    data = {"event": event, "user_id": user_id, "client_id": client_id, **fields}
    if has_request_context():
        data.setdefault("ip", request.remote_addr)
    log.info(event, extra={"audit": data})
