"""The purge: deletes what the retention policy (docs/retention.md) no longer keeps.

Each rule names one table, its primary key and the condition under which a row is no longer
needed by a live token, session, reuse check or audit query. Rows go in bounded batches, one short
transaction each, so a purge never holds locks long and can run at any time next to live traffic:
`SELECT order, pk ... WHERE <condition> AND (order, pk) > <last> ORDER BY order, pk LIMIT n` on an
(order, pk) index, then `DELETE ... WHERE pk IN (<those keys>) AND <condition>`. One purger runs
at a time: a PostgreSQL session advisory lock (try-lock: a replica that finds it held skips this
round), or on SQLite, where one process owns the file, a lock per file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Callable

from sqlalchemy import and_, delete, exists, func, or_, select, text, tuple_
from sqlalchemy.orm import aliased

from idp.store.db import Database
from idp.store.webhook_models import WebhookDelivery, WebhookEvent
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
# A batch's statements may take longer than a request's 5 s: right after a run deleted millions of
# rows, the next one's first scan walks their dead index entries (and marks them, so the batches
# after it do not) until autovacuum has cleaned the table. The purge is in the background; nothing
# it selects blocks anyone, and its DELETEs lock one batch of rows.
BATCH_TIMEOUT = "120s"
_file_locks: dict[str, threading.Lock] = {}  # SQLite: one purger per database file in this process
_file_locks_guard = threading.Lock()


@dataclasses.dataclass(frozen=True)
class Retention:
    """Seconds each kind of ended row is kept (docs/retention.md); audit 0: kept forever."""

    refresh_tokens: int = 7 * 86400
    one_time_tokens: int = 86400
    mail: int = 3 * 86400
    mail_failed: int = 30 * 86400
    audit: int = 400 * 86400
    webhooks: int = 7 * 86400

    @classmethod
    def from_config(cls, config) -> Retention:
        return cls(config.refresh_token_retention, config.one_time_token_retention, config.mail_retention,
                   config.mail_failed_retention, config.audit_retention, config.webhook_retention)


def _webhook_event_done(now, keep):
    """A webhook event older than WEBHOOK_RETENTION none of whose deliveries is still pending (each
    was delivered or given up on); its deliveries and attempts go with it (ON DELETE CASCADE)."""
    if not keep.webhooks:
        return None
    pending = exists().where(WebhookDelivery.event_id == WebhookEvent.id, WebhookDelivery.state == "pending")
    return and_(WebhookEvent.occurred_at < now - dt.timedelta(seconds=keep.webhooks), ~pending)


@dataclasses.dataclass(frozen=True)
class Rule:
    """Rows of one table that go: `condition(now, retention)` (None: keep everything), walked in the
    order of the indexed column `order`. Rules on one table select disjoint rows, so a dry run's
    counts add up to what a run deletes."""

    table: str  # the metric label
    key: object  # the primary-key column rows are deleted by
    order: object  # the column batches advance along, indexed with `key` as (order, key)
    condition: Callable[[dt.datetime, Retention], object | None]


def _refresh_family_ended(cutoff: dt.datetime):
    """No token of the row's family lived or was revoked at or after the cutoff (the family_id index).

    A rotated token stays while any token of its family lives: presenting it again is how reuse
    is detected (RFC 9700 4.14.2) and revokes the family."""
    sibling = aliased(RefreshToken)
    return ~exists().where(sibling.family_id == RefreshToken.family_id, sibling.expires_at >= cutoff,
                           or_(sibling.revoked_at.is_(None), sibling.revoked_at >= cutoff))


def _refresh_expired(now, keep):
    cutoff = now - dt.timedelta(seconds=keep.refresh_tokens)
    return and_(RefreshToken.expires_at < cutoff, _refresh_family_ended(cutoff))


def _refresh_revoked(now, keep):
    cutoff = now - dt.timedelta(seconds=keep.refresh_tokens)
    return and_(RefreshToken.revoked_at < cutoff, RefreshToken.expires_at >= cutoff, _refresh_family_ended(cutoff))


def _one_time_cutoff(now, keep):
    return now - dt.timedelta(seconds=keep.one_time_tokens)


RULES = (
    # Refresh tokens of families that ended more than REFRESH_TOKEN_RETENTION ago: by expiry, or by revocation.
    Rule("refresh_tokens", RefreshToken.token_hash, RefreshToken.expires_at, _refresh_expired),
    Rule("refresh_tokens", RefreshToken.token_hash, RefreshToken.revoked_at, _refresh_revoked),
    # A revocation is needed until the token it revokes would have expired (its expires_at).
    Rule("revocations", Revocation.id, Revocation.expires_at, lambda now, keep: Revocation.expires_at < now),
    # Emailed links: expired, or used (while still unexpired), more than ONE_TIME_TOKEN_RETENTION ago.
    Rule("account_tokens", AccountToken.token_hash, AccountToken.expires_at,
         lambda now, keep: AccountToken.expires_at < _one_time_cutoff(now, keep)),
    Rule("account_tokens", AccountToken.token_hash, AccountToken.used_at,
         lambda now, keep: and_(AccountToken.used_at < _one_time_cutoff(now, keep),
                                AccountToken.expires_at >= _one_time_cutoff(now, keep))),
    # An exhausted initial access token goes with its expiry: it refuses every registration either way.
    Rule("initial_access_tokens", InitialAccessToken.token_hash, InitialAccessToken.expires_at,
         lambda now, keep: InitialAccessToken.expires_at < _one_time_cutoff(now, keep)),
    Rule("recovery_codes", RecoveryCode.id, RecoveryCode.used_at,
         lambda now, keep: RecoveryCode.used_at < _one_time_cutoff(now, keep)),
    Rule("mail_outbox", OutboxMessage.id, OutboxMessage.sent_at,
         lambda now, keep: and_(OutboxMessage.status == "sent",
                                OutboxMessage.sent_at < now - dt.timedelta(seconds=keep.mail))),
    # Marked failed at (or soon after) give_up_at; a pending message is never purged.
    Rule("mail_outbox", OutboxMessage.id, OutboxMessage.give_up_at,
         lambda now, keep: and_(OutboxMessage.status == "failed",
                                OutboxMessage.give_up_at < now - dt.timedelta(seconds=keep.mail_failed))),
    Rule("webhook_events", WebhookEvent.id, WebhookEvent.occurred_at, _webhook_event_done),
    Rule("audit_events", AuditEvent.id, AuditEvent.occurred_at,
         lambda now, keep: AuditEvent.occurred_at < now - dt.timedelta(seconds=keep.audit) if keep.audit else None),
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
        """Batches walk the index on (`rule.order`, `rule.key`) forward from the last row the previous
        one deleted. Rows the condition keeps (a live family's old rotated tokens) are passed once per
        run, not once per batch; and the key breaks ties, so a million rows sharing one timestamp
        (tokens issued in the same second) cost a batch each, never a rescan of those already passed."""
        total, reached = 0, None
        position = tuple_(rule.order, rule.key)
        while True:
            where = condition if reached is None else and_(condition, position > tuple_(*reached))
            with conn.begin():  # one short transaction per batch: locks held for one batch only
                if conn.dialect.name == "postgresql":
                    conn.execute(text(f"SET LOCAL statement_timeout = '{BATCH_TIMEOUT}'"))
                picked = conn.execute(select(rule.order, rule.key).where(where)
                                      .order_by(rule.order, rule.key).limit(batch)).all()
                # The keys as a list, not `IN (SELECT ...)`: on a table of millions PostgreSQL may plan that
                # as a hash semi-join over a scan of the whole table (seconds a batch, past statement_timeout);
                # a list of primary keys is always index lookups. The condition is checked again on them.
                gone = conn.execute(delete(rule.key.table).where(rule.key.in_([row[1] for row in picked]),
                                                                 condition)).rowcount if picked else 0
            total += gone
            if gone and on_batch:
                on_batch(rule.table, gone)
            if len(picked) < batch:
                return total
            reached = tuple(picked[-1])

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
            with _file_locks_guard:
                self.file_lock = _file_locks.setdefault(str(self.db.engine.url), threading.Lock())
            self.locked = self.file_lock.acquire(blocking=False)
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
                self.file_lock.release()
