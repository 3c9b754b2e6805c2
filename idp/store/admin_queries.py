"""Read models the admin console needs and the per-aggregate repositories do not offer: user
search with a total for pagination, counts, sign-ins per hour, audit events filtered and paged,
and deleting a user (every row that names them goes with the user, by ON DELETE CASCADE)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, or_, select

from idp.store.audit_events import AuditEntry
from idp.store.db import Database
from idp.store.models import AuditEvent, Client, User, utcnow
from idp.store.users import UserView, _user_view


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


class AdminQueries:
    def __init__(self, db: Database):
        self.db = db

    def search_users(self, query: str, offset: int, limit: int) -> tuple[list[UserView], int]:
        """Users whose email or name contains query (case-insensitive), oldest first, and how many match."""
        where = []
        if query:
            pattern = _like(query)
            where.append(or_(func.lower(User.email).like(pattern, escape="\\"),
                             func.lower(User.name).like(pattern, escape="\\")))
        with self.db.session() as session:
            total = session.scalar(select(func.count()).select_from(User).where(*where)) or 0
            rows = session.scalars(select(User).where(*where).order_by(User.created_at, User.id)
                                   .offset(offset).limit(limit)).all()
            return [_user_view(row) for row in rows], total

    def count_users(self) -> int:
        with self.db.session() as session:
            return session.scalar(select(func.count()).select_from(User)) or 0

    def count_clients(self) -> int:
        with self.db.session() as session:
            return session.scalar(select(func.count()).select_from(Client)) or 0

    def delete_user(self, user_id: str) -> bool:
        with self.db.session() as session:
            return session.execute(delete(User).where(User.id == user_id)).rowcount == 1

    def hourly_counts(self, actions: tuple[str, ...], hours: int = 24) -> dict[str, list[int]]:
        """For each action, how many events in each of the last `hours` clock hours (oldest first),
        counted by the database (a busy day has millions of sign-ins)."""
        now = utcnow()
        this_hour = now.replace(minute=0, second=0, microsecond=0)
        since = this_hour - dt.timedelta(hours=hours - 1)
        if self.db.is_sqlite:
            bucket = func.strftime("%Y-%m-%d %H:00:00", AuditEvent.occurred_at)
        else:
            bucket = func.to_char(func.date_trunc("hour", AuditEvent.occurred_at), "YYYY-MM-DD HH24:00:00")
        query = (select(AuditEvent.action, bucket, func.count())
                 .where(AuditEvent.action.in_(actions), AuditEvent.occurred_at >= since)
                 .group_by(AuditEvent.action, bucket))
        with self.db.session() as session:
            rows = session.execute(query).all()
        counts = {action: [0] * hours for action in actions}
        for action, hour, count in rows:
            started = dt.datetime.strptime(hour, "%Y-%m-%d %H:%M:%S")
            index = hours - 1 - int((this_hour - started).total_seconds() // 3600)
            if 0 <= index < hours:
                counts[action][index] += count
        return counts

    def audit_page(self, *, action: str | None, user_id: str | None, since: dt.datetime | None,
                   offset: int, limit: int) -> tuple[list[AuditEntry], bool]:
        """Newest first; and whether a further page exists."""
        query = select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        if action:
            query = query.where(AuditEvent.action.like(_like(action), escape="\\"))
        if user_id:
            query = query.where(AuditEvent.user_id == user_id)
        if since:
            query = query.where(AuditEvent.occurred_at >= since)
        with self.db.session() as session:
            rows = session.scalars(query.offset(offset).limit(limit + 1)).all()
            entries = [AuditEntry(row.id, row.occurred_at, row.action, row.user_id, row.client_id, row.ip,
                                  row.request_id, dict(row.details or {})) for row in rows[:limit]]
        return entries, len(rows) > limit

    def audit_actions(self) -> list[str]:
        with self.db.session() as session:
            return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all())
