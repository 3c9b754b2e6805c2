"""Repositories of the hosted account pages: emailed links, TOTP, recovery codes, the mail outbox.

Every "use once" below is one conditional UPDATE whose row count says whether this
caller won, so two replicas (or two clicks) can never both use the same thing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import delete, func, select, update

from idp.plumbing.security import token_hash
from idp.store.db import Database
from idp.store.models import AccountToken, OutboxMessage, RecoveryCode, TotpCredential, utcnow


class AccountTokens:
    """Emailed link tokens: only their SHA-256 is stored; single use; expiring."""

    def __init__(self, db: Database):
        self.db = db

    def add(self, value: str, user_id: str, purpose: str, ttl: int) -> None:
        with self.db.session() as session:
            session.add(AccountToken(token_hash=token_hash(value), user_id=user_id, purpose=purpose,
                                     expires_at=utcnow() + dt.timedelta(seconds=ttl)))

    def peek(self, value: str, purpose: str) -> str | None:
        """The user id of a valid, unused token, without using it (to show the form it opens)."""
        with self.db.session() as session:
            row = session.get(AccountToken, token_hash(value or ""))
            if row is None or row.purpose != purpose or row.used_at is not None or row.expires_at <= utcnow():
                return None
            return row.user_id

    def use(self, value: str, purpose: str) -> str | None:
        """Use a token (atomically, once): its user id, or None if unknown, used, expired or of another purpose."""
        digest = token_hash(value or "")
        with self.db.session() as session:
            used = session.execute(
                update(AccountToken)
                .where(AccountToken.token_hash == digest, AccountToken.purpose == purpose,
                       AccountToken.used_at.is_(None), AccountToken.expires_at > utcnow())
                .values(used_at=utcnow())
            ).rowcount == 1
            return session.get(AccountToken, digest).user_id if used else None

    def revoke_all(self, user_id: str, purpose: str) -> None:
        """Retire a user's outstanding links of one purpose (a used reset link voids its siblings)."""
        with self.db.session() as session:
            session.execute(update(AccountToken)
                            .where(AccountToken.user_id == user_id, AccountToken.purpose == purpose,
                                   AccountToken.used_at.is_(None))
                            .values(used_at=utcnow()))


class TotpCredentials:
    def __init__(self, db: Database):
        self.db = db

    def get(self, user_id: str) -> TotpCredential | None:
        with self.db.session() as session:
            return session.get(TotpCredential, user_id)

    def save(self, user_id: str, secret_encrypted: bytes, last_step: int) -> None:
        with self.db.session() as session:
            session.execute(delete(TotpCredential).where(TotpCredential.user_id == user_id))
            session.add(TotpCredential(user_id=user_id, secret_encrypted=secret_encrypted, last_step=last_step))

    def advance(self, user_id: str, step: int) -> bool:
        """Record a used time step; False when it (or a later one) was already used: no replay."""
        with self.db.session() as session:
            return session.execute(
                update(TotpCredential)
                .where(TotpCredential.user_id == user_id,
                       (TotpCredential.last_step.is_(None)) | (TotpCredential.last_step < step))
                .values(last_step=step)
            ).rowcount == 1

    def remove(self, user_id: str) -> None:
        with self.db.session() as session:
            session.execute(delete(TotpCredential).where(TotpCredential.user_id == user_id))
            session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))


class RecoveryCodes:
    def __init__(self, db: Database):
        self.db = db

    def replace(self, user_id: str, hashed: list[tuple[str, str]]) -> None:
        """hashed: (salt, code_hash) pairs; the previous set stops working."""
        with self.db.session() as session:
            session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
            session.add_all(RecoveryCode(user_id=user_id, salt=s, code_hash=h) for s, h in hashed)

    def unused(self, user_id: str) -> list[RecoveryCode]:
        with self.db.session() as session:
            return list(session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user_id,
                                                                   RecoveryCode.used_at.is_(None))).all())

    def use(self, code_id: str) -> bool:
        with self.db.session() as session:
            return session.execute(update(RecoveryCode)
                                   .where(RecoveryCode.id == code_id, RecoveryCode.used_at.is_(None))
                                   .values(used_at=utcnow())).rowcount == 1


@dataclasses.dataclass(frozen=True)
class OutgoingMail:
    id: str
    recipient: str
    subject: str
    body: str
    attempts: int
    give_up_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class MailFailure:
    id: str
    recipient: str
    status: str  # pending (to be retried) | failed (given up)
    attempts: int
    last_error: str
    created_at: dt.datetime


class Outbox:
    """Durable queue of emails; a message is claimed by one sender at a time."""

    def __init__(self, db: Database):
        self.db = db

    def add(self, recipient: str, subject: str, body: str, keep_trying_for: int) -> str:
        with self.db.session() as session:
            row = OutboxMessage(recipient=recipient, subject=subject, body=body, status="pending", attempts=0,
                                next_attempt_at=utcnow(),
                                give_up_at=utcnow() + dt.timedelta(seconds=keep_trying_for))
            session.add(row)
            session.flush()
            return row.id

    def claim(self, message_id: str, lease: int) -> OutgoingMail | None:
        """Lease a pending message for `lease` seconds; None if sent, failed or leased by another sender."""
        now = utcnow()
        with self.db.session() as session:
            won = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending",
                       (OutboxMessage.locked_until.is_(None)) | (OutboxMessage.locked_until < now))
                .values(locked_until=now + dt.timedelta(seconds=lease))
            ).rowcount == 1
            if not won:
                return None
            row = session.get(OutboxMessage, message_id)
            return OutgoingMail(row.id, row.recipient, row.subject, row.body or "", row.attempts, row.give_up_at)

    def mark_sent(self, message_id: str) -> None:
        self._finish(message_id, status="sent", sent_at=utcnow(), last_error=None)

    def mark_failed(self, message_id: str, error: str) -> None:
        """Given up: kept (without its body) so the failure stays visible to operators."""
        self._finish(message_id, status="failed", last_error=error[:255])

    def _finish(self, message_id: str, **values) -> None:
        with self.db.session() as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                            .values(body=None, locked_until=None, **values))

    def retry_later(self, message_id: str, error: str, delay: int) -> None:
        with self.db.session() as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
                attempts=OutboxMessage.attempts + 1, last_error=error[:255], locked_until=None,
                next_attempt_at=utcnow() + dt.timedelta(seconds=delay)))

    def due(self, limit: int = 50, ignore_backoff: bool = False) -> list[str]:
        """Pending messages whose next attempt is due (or all pending ones, for `idp mail retry`)."""
        query = select(OutboxMessage.id).where(OutboxMessage.status == "pending")
        if not ignore_backoff:
            query = query.where(OutboxMessage.next_attempt_at <= utcnow())
        with self.db.session() as session:
            return list(session.scalars(query.order_by(OutboxMessage.next_attempt_at).limit(limit)).all())

    def get(self, message_id: str) -> OutboxMessage | None:
        with self.db.session() as session:
            return session.get(OutboxMessage, message_id)

    def counts(self) -> dict[str, int]:
        with self.db.session() as session:
            rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
            return {status: count for status, count in rows}

    def oldest_pending_at(self) -> dt.datetime | None:
        with self.db.session() as session:
            return session.scalar(select(func.min(OutboxMessage.created_at)).where(OutboxMessage.status == "pending"))

    def recent_failures(self, limit: int) -> list[MailFailure]:
        """The newest messages whose last attempt failed: given up, or pending a retry. Never a body."""
        query = (select(OutboxMessage.id, OutboxMessage.recipient, OutboxMessage.status, OutboxMessage.attempts,
                        OutboxMessage.last_error, OutboxMessage.created_at)
                 .where(OutboxMessage.status.in_(("pending", "failed")), OutboxMessage.last_error.is_not(None))
                 .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(limit))
        with self.db.session() as session:
            return [MailFailure(*row) for row in session.execute(query)]

    def requeue(self, message_id: str | None = None, limit: int = 1000) -> list[str]:
        """Make pending messages (or the one) due now, backoff ignored; the ids made due (a message
        another sender holds is left to it)."""
        now = utcnow()
        query = select(OutboxMessage.id).where(
            OutboxMessage.status == "pending",
            (OutboxMessage.locked_until.is_(None)) | (OutboxMessage.locked_until < now))
        if message_id is not None:
            query = query.where(OutboxMessage.id == message_id)
        with self.db.session() as session:
            ids = list(session.scalars(query.order_by(OutboxMessage.next_attempt_at).limit(limit)).all())
            if ids:
                session.execute(update(OutboxMessage)
                                .where(OutboxMessage.id.in_(ids), OutboxMessage.status == "pending")
                                .values(next_attempt_at=now))
            return ids
