"""The audit trail: security-relevant events (sign-ins, failures, consents, token revocations).

Every event is written twice, for two readers: a JSON log line tagged for the ELK
pipeline (`action`, `tags: ["audit"]`), and a row in the audit_events table that
`idp audit list --since … --user …` queries. ENABLE_AUDIT_LOGS=false turns both off.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from idp.observability.metrics import dependency_failed

log = logging.getLogger("idp.audit")


def record(event: str, *, user_id: str | None = None, client_id: str | None = None, actor: str | None = None,
           **fields) -> None:
    """Record one event. Never pass secrets, passwords, tokens or codes in fields. `actor` names who
    acted when it is not the user themselves (an admin client or administrator, see idp/administration)."""
    from flask import current_app, g, has_app_context, has_request_context, request

    services = current_app.extensions["idp"] if has_app_context() else None
    if services is not None and not services.config.enable_audit_logs:
        return
    in_request = has_request_context()  # or oauth/direct.py's app context, which keeps both in g
    ip = request.remote_addr if in_request else g.get("remote_addr") if services is not None else None
    request_id = g.get("request_id") if services is not None else None
    log.info(event, extra={"action": event, "tags": ["audit"], "user_id": user_id, "client_id": client_id,
                           "ip": ip, **({"actor": actor} if actor else {}), **fields})
    if services is None:
        return
    try:
        services.audit_events.add(event, user_id=user_id, client_id=client_id, ip=ip, request_id=request_id,
                                  details=fields, actor=actor)
    except SQLAlchemyError:
        # The log line above already carries the event; a database blip must not fail the sign-in.
        dependency_failed("database")
        log.error("audit event %s not stored: database unavailable", event)
