"""/admin/api/v1/audit-events: the audit trail, newest first (issue 15)."""

from __future__ import annotations

from flask import request

from idp.admin.api.framework import READ, bp, page_args, page_response, requires, resource
from idp.administration.audit import AuditAdmin, audit_version
from idp.plumbing.context import services
from idp.store.audit_events import AuditEntry

FILTERS = ("since", "until", "user_id", "client_id", "action", "actor")


def event_json(entry: AuditEntry) -> dict:
    return {"id": str(entry.id), "occurred_at": entry.occurred_at.isoformat() + "Z", "action": entry.action,
            "actor": entry.actor, "user_id": entry.user_id, "client_id": entry.client_id, "ip": entry.ip,
            "request_id": entry.request_id, "details": entry.details}


@bp.get("/audit-events")
@requires(READ)
def list_audit_events():
    """?since= and ?until= (ISO 8601), ?user_id=, ?client_id=, ?action=, ?actor=, ?limit=, ?cursor=."""
    filters = {name: request.args.get(name) for name in FILTERS}
    return page_response(AuditAdmin(services()).list(**filters, **page_args()), event_json)


@bp.get("/audit-events/<event_id>")
@requires(READ)
def get_audit_event(event_id):
    entry = AuditAdmin(services()).get(event_id)
    return resource(event_json(entry), audit_version(entry))
