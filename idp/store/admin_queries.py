"""Read models the admin console's overview needs and the per-aggregate repositories do not
offer: counts of users and clients, sign-ins per hour, the audit actions seen (the filter's list)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from idp.store.db import Database
from idp.store.models import AuditEvent, Client, User, utcnow


class AdminQueries:
    def __init__(self, db: Database):
        self.db = db

    def count_users(self) -> int:
        with self.db.session() as session:
            return session.scalar(select(func.count()).select_from(User)) or 0

    def count_clients(self) -> int:
        with self.db.session() as session:
            return session.scalar(select(func.count()).select_from(Client)) or 0

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

    def names_of(self, user_ids, client_ids) -> tuple[dict[str, tuple[str, str | None]], dict[str, str]]:
        """({user id: (email, name)}, {client_id: name}) of those that exist: two queries by primary
        key, however many rows a page of the audit trail names."""
        users, clients = sorted(set(user_ids)), sorted(set(client_ids))
        with self.db.read() as session:
            people = {r.id: (r.email, r.name) for r in session.execute(
                select(User.id, User.email, User.name).where(User.id.in_(users)))} if users else {}
            apps = {r.client_id: r.name for r in session.execute(
                select(Client.client_id, Client.name).where(Client.client_id.in_(clients)))} if clients else {}
        return people, apps

    def audit_actions(self) -> list[str]:
        with self.db.session() as session:
            return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all())
