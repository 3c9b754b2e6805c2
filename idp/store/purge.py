"""The purge: deletes what the retention policy (docs/retention.md) no longer keeps.

Each rule names one table, its primary key and the condition under which a row is no longer
needed by a live token, session, reuse check or audit query. Rows go in bounded batches
(`DELETE ... WHERE pk IN (SELECT pk ... WHERE <indexed condition> LIMIT n)`), one short
transaction per batch, so a purge never holds locks long and can run at any time, next to live
traffic. One purger runs at a time: a PostgreSQL session advisory lock (try-lock: a replica that
finds it held skips this round), or on SQLite, where one process owns the file, a process lock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Callable

from sqlalchemy import and_, delete, exists, func, or_, select, text
from sqlalchemy.orm import aliased

from idp.store.db import Database
from idp.store.models import (
    AccountToken,
    AuditEvent,
    InitialAccessToken,
    OutboxMessage,
    RecoveryCode,
    RefreshToken,
    Revocation,
    Setting,
    utcnow,
)

# pg_try_advisory_lock takes a bigint: a fixed one for "the purge" (the ASCII of "idpprg16").
ADVISORY_LOCK_KEY = 0x6964707072673136
LAST_SUCCESS = "purge.last_success"
_process_lock = threading.Lock()  # SQLite: one purger per process (the file is one process's)


@dataclasses.dataclass(frozen=True)
class Retention:
    """Seconds each kind of ended row is kept (docs/retention.md); audit 0: kept forever."""

    refresh_tokens: int = 7 * 86400
    one_time_tokens: int = 86400
    mail: int = 3 * 86400
    mail_failed: int = 30 * 86400
    audit: int = 400 * 86400

    @classmethod
    def from_config(cls, config) -> Retention:
        return cls(config.refresh_token_retention, config.one_time_token_retention, config.mail_retention,
                   config.mail_failed_retention, config.audit_retention)


@dataclasses.dataclass(frozen=True)
class Rule:
    table: str  # the metric label
    key: object  # the primary-key column rows are deleted by
    condition: Callable[[dt.datetime, Retention], object | None]  # None: this rule keeps everything


def _ended_refresh_families(now: dt.datetime, keep: Retention):
    """Rows of a family that ended (every token revoked or expired) more than REFRESH_TOKEN_RETENTION ago.

    A rotated token stays while any token of its family lives: presenting it again is how reuse
    is detected (RFC 9700 4.14.2) and revokes the family. The OR picks candidates by the two
    indexed timestamps; NOT EXISTS (on the family_id index) keeps every family still alive or
    ended within the window."""
    cutoff = now - dt.timedelta(seconds=keep.refresh_tokens)
    sibling = aliased(RefreshToken)
    recent = exists().where(sibling.family_id == RefreshToken.family_id, sibling.expires_at >= cutoff,
                            or_(sibling.revoked_at.is_(None), sibling.revoked_at >= cutoff))
    return and_(or_(RefreshToken.expires_at < cutoff, RefreshToken.revoked_at < cutoff), ~recent)


def _spent_account_tokens(now, keep):
    cutoff = now - dt.timedelta(seconds=keep.one_time_tokens)
    return or_(AccountToken.expires_at < cutoff, AccountToken.used_at < cutoff)


def _expired_initial_access_tokens(now, keep):
    # An exhausted token goes with its expiry too: it refuses every registration either way.
    return InitialAccessToken.expires_at < now - dt.timedelta(seconds=keep.one_time_tokens)


def _used_recovery_codes(now, keep):
    return RecoveryCode.used_at < now - dt.timedelta(seconds=keep.one_time_tokens)


def _sent_mail(now, keep):
    return and_(OutboxMessage.status == "sent", OutboxMessage.sent_at < now - dt.timedelta(seconds=keep.mail))


def _failed_mail(now, keep):
    # Marked failed at (or soon after) give_up_at; a pending message is never purged.
    return and_(OutboxMessage.status == "failed",
                OutboxMessage.give_up_at < now - dt.timedelta(seconds=keep.mail_failed))


def _old_audit_events(now, keep):
    return AuditEvent.occurred_at < now - dt.timedelta(seconds=keep.audit) if keep.audit else None


RULES = (
    Rule("refresh_tokens", RefreshToken.token_hash, _ended_refresh_families),
    # A revocation is needed until the token it revokes would have expired (its expires_at).
    Rule("revocations", Revocation.id, lambda now, keep: Revocation.expires_at < now),
    Rule("account_tokens", AccountToken.token_hash, _spent_account_tokens),
    Rule("initial_access_tokens", InitialAccessToken.token_hash, _expired_initial_access_tokens),
    Rule("recovery_codes", RecoveryCode.id, _used_recovery_codes),
    Rule("mail_outbox", OutboxMessage.id, _sent_mail),
    Rule("mail_outbox", OutboxMessage.id, _failed_mail),
    Rule("audit_events", AuditEvent.id, _old_audit_events),
)


@dataclasses.dataclass
class PurgeReport:
    rows: dict[str, int]  # table -> rows deleted (or, in a dry run, that would be)
    dry_run: bool
    seconds: float = 0.0


class Purge:
    def __init__(self, db: Database, retention: Retention, batch: int = 1000):
        self.db, self.retention, self.batch = db, retention, batch

    def run(self, dry_run: bool = False, now: dt.datetime | None = None, batch: int | None = None,
            on_batch: Callable[[str, int], None] | None = None) -> PurgeReport | None:
        """Delete (or count) what the policy no longer keeps; None when another purger holds the lock."""
        started = time.monotonic()
        now = now or utcnow()
        batch = batch or self.batch
        rows = {rule.table: 0 for rule in RULES}
        with _Exclusive(self.db) as conn:
            if conn is None:
                return None
            for rule in RULES:
                condition = rule.condition(now, self.retention)
                if condition is None:
                    continue
                if dry_run:
                    with conn.begin():
                        rows[rule.table] += conn.scalar(select(func.count()).select_from(rule.key.table)
                                                        .where(condition))
                    continue
                rows[rule.table] += self._delete_in_batches(conn, rule, condition, batch, on_batch)
            if not dry_run:
                with conn.begin():
                    self._record_success(conn, now)
        return PurgeReport(rows, dry_run, time.monotonic() - started)

    @staticmethod
    def _delete_in_batches(conn, rule: Rule, condition, batch: int, on_batch) -> int:
        total = 0
        doomed = select(rule.key).where(condition).limit(batch).scalar_subquery()
        statement = delete(rule.key.table).where(rule.key.in_(doomed))
        while True:
            with conn.begin():  # one short transaction per batch: locks held for one batch only
                deleted = conn.execute(statement).rowcount
            total += deleted
            if deleted and on_batch:
                on_batch(rule.table, deleted)
            if deleted < batch:
                return total

    @staticmethod
    def _record_success(conn, now: dt.datetime) -> None:
        value = str(int(now.replace(tzinfo=dt.timezone.utc).timestamp()))
        updated = conn.execute(Setting.__table__.update().where(Setting.name == LAST_SUCCESS).values(value=value))
        if updated.rowcount == 0:
            conn.execute(Setting.__table__.insert().values(name=LAST_SUCCESS, value=value))

    def last_success(self) -> float | None:
        """When any purger (this process, another replica, a CronJob) last finished, as a Unix time."""
        with self.db.read() as session:
            value = session.scalar(select(Setting.value).where(Setting.name == LAST_SUCCESS))
        return float(value) if value else None


class _Exclusive:
    """A connection held under the purge lock (None: another purger has it)."""

    def __init__(self, db: Database):
        self.db = db
        self.conn = None
        self.locked = False

    def __enter__(self):
        if self.db.is_sqlite:
            self.locked = _process_lock.acquire(blocking=False)
            if not self.locked:
                return None
            self.conn = self.db.engine.connect()
            return self.conn
        self.conn = self.db.engine.connect()
        with self.conn.begin():
            self.locked = bool(self.conn.scalar(text("SELECT pg_try_advisory_lock(:key)"),
                                                {"key": ADVISORY_LOCK_KEY}))
        if not self.locked:
            self.conn.close()
            self.conn = None
        return self.conn

    def __exit__(self, *exc):
        try:
            if self.conn is not None and self.locked and not self.db.is_sqlite:
                # A session lock outlives transactions: release it before the pool reuses the connection.
                if self.conn.in_transaction():
                    self.conn.rollback()
                with self.conn.begin():
                    self.conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
        finally:
            if self.conn is not None:
                self.conn.close()
            if self.locked and self.db.is_sqlite:
                _process_lock.release()
