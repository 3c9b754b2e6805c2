"""The audit events table: written by idp.observability.audit.record, read by `idp audit list` and
the admin API (idp/administration/audit.py), newest first."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import insert, select, tuple_

from idp.store.db import Database
from idp.store.models import AuditEvent

# the columns a reader may filter on (each has an (column, occurred_at, id) index, migration 0008)
FILTERS = ("user_id", "client_id", "action", "actor")


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
    actor: str | None = None

    def as_dict(self) -> dict:
        return {**dataclasses.asdict(self), "occurred_at": self.occurred_at.isoformat() + "Z"}


def _entry(row: AuditEvent) -> AuditEntry:
    return AuditEntry(row.id, row.occurred_at, row.action, row.user_id, row.client_id, row.ip, row.request_id,
                      dict(row.details or {}), row.actor)


class AuditEvents:
    def __init__(self, db: Database):
        self.db = db

    def add(self, action: str, *, user_id=None, client_id=None, ip=None, request_id=None, details=None,
            actor=None) -> None:
        """One row, committed asynchronously (Database.relaxed_engine says why that is enough)."""
        with self.db.relaxed_engine.begin() as conn:  # Core, not the ORM's unit of work: a third of the CPU
            conn.execute(insert(AuditEvent), [dict(action=action, user_id=user_id, client_id=client_id, ip=ip,
                                                   request_id=request_id, details=details or {}, actor=actor)])

    def get(self, event_id: int) -> AuditEntry | None:
        with self.db.read() as session:
            row = session.get(AuditEvent, event_id)
            return _entry(row) if row else None

    def list(self, since: dt.datetime | None = None, until: dt.datetime | None = None,
             before: tuple[dt.datetime, int] | None = None, limit: int = 100, after: int | None = None,
             **equal) -> list[AuditEntry]:
        """Newest first: events at or after `since`, before `until`, strictly older than the keyset
        `before` (occurred_at, id) of the previous page — or than the event whose id is `after`
        (`idp audit list --after`) — and whose FILTERS columns equal `equal`'s."""
        query = select(AuditEvent)
        if after is not None:
            mark = select(AuditEvent.occurred_at, AuditEvent.id).where(AuditEvent.id == after).subquery()
            query = query.join(mark, tuple_(AuditEvent.occurred_at, AuditEvent.id)
                               < tuple_(mark.c.occurred_at, mark.c.id))
        query = query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(limit)
        if since is not None:
            query = query.where(AuditEvent.occurred_at >= since)
        if until is not None:
            query = query.where(AuditEvent.occurred_at < until)
        if before is not None:
            query = query.where(tuple_(AuditEvent.occurred_at, AuditEvent.id) < tuple_(*before))
        for name, value in equal.items():
            if name not in FILTERS:
                raise TypeError(f"no audit filter {name}")
            if value is not None:
                query = query.where(getattr(AuditEvent, name) == value)
        with self.db.lagging_read() as session:  # a listing: replica lag is fine
            return [_entry(row) for row in session.scalars(query)]
