"""The audit events table: written by idp.observability.audit.record, read by `idp audit list`."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select, tuple_

from idp.store.db import Database
from idp.store.models import AuditEvent


@dataclasses.dataclass(frozen=True)
class AuditEntry:
    id: int
    occurred_at: dt.datetime  # UTC
    action: str
    user_id: str | None
    client_id: str | None
    ip: str | None
    request_id: str | None
    details: dict

    def as_dict(self) -> dict:
        return {**dataclasses.asdict(self), "occurred_at": self.occurred_at.isoformat() + "Z"}


class AuditEvents:
    def __init__(self, db: Database):
        self.db = db

    def add(self, action: str, *, user_id=None, client_id=None, ip=None, request_id=None, details=None) -> None:
        with self.db.session() as session:
            session.add(AuditEvent(action=action, user_id=user_id, client_id=client_id, ip=ip,
                                   request_id=request_id, details=details or {}))

    def list(self, since: dt.datetime | None = None, user_id: str | None = None, action: str | None = None,
             limit: int = 100, after: int | None = None) -> list[AuditEntry]:
        """Newest first; `after`: the id of the last event of the previous page (keyset pagination on
        (occurred_at, id), or (user_id, occurred_at) / (action, occurred_at) when filtered)."""
        query = select(AuditEvent)
        if after is not None:
            mark = select(AuditEvent.occurred_at, AuditEvent.id).where(AuditEvent.id == after).subquery()
            query = query.join(mark, tuple_(AuditEvent.occurred_at, AuditEvent.id)
                               < tuple_(mark.c.occurred_at, mark.c.id))
        query = query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(limit)
        if since is not None:
            query = query.where(AuditEvent.occurred_at >= since)
        if user_id is not None:
            query = query.where(AuditEvent.user_id == user_id)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        with self.db.session() as session:
            return [AuditEntry(row.id, row.occurred_at, row.action, row.user_id, row.client_id, row.ip,
                               row.request_id, dict(row.details or {})) for row in session.scalars(query)]
