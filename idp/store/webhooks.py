"""Webhook endpoints, the event outbox, deliveries and attempts (issue 35; tables in
webhook_models.py). The outbox rows are written through Database.session(), so inside a
unit_of_work() they commit with the change they report. Deliveries are claimed under a lease:
`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL (replicas never claim the same row), one process
on SQLite; a crashed worker's lease runs out and another claims the delivery again (at least once)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import delete, exists, select, tuple_, update
from sqlalchemy.orm import aliased

from idp.store.db import Database
from idp.store.webhook_models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


@dataclasses.dataclass(frozen=True)
class Endpoint:
    id: str
    url: str
    description: str | None
    event_types: list
    enabled: bool
    secret: bytes
    previous_secret: bytes | None
    previous_secret_until: dt.datetime | None
    failing_since: dt.datetime | None
    disabled_reason: str | None
    version: int
    created_at: dt.datetime


def _endpoint(row: WebhookEndpoint) -> Endpoint:
    return Endpoint(row.id, row.url, row.description, list(row.event_types), row.enabled, bytes(row.secret),
                    bytes(row.previous_secret) if row.previous_secret else None, row.previous_secret_until,
                    row.failing_since, row.disabled_reason, row.version, row.created_at)


@dataclasses.dataclass(frozen=True)
class Delivery:
    id: int
    event_id: str
    event_type: str
    endpoint_id: str
    state: str
    attempts: int
    next_attempt_at: dt.datetime
    last_status: int | None
    last_error: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class Job:
    """A claimed delivery, with what sending it needs."""

    delivery_id: int
    attempts: int
    event_id: str
    event_type: str
    data: dict
    occurred_at: dt.datetime
    endpoint: Endpoint


@dataclasses.dataclass(frozen=True)
class Attempt:
    id: int
    attempted_at: dt.datetime
    status: int | None
    duration_ms: int
    error: str | None


_DELIVERY_COLUMNS = (WebhookDelivery.id, WebhookDelivery.event_id, WebhookEvent.type, WebhookDelivery.endpoint_id,
                     WebhookDelivery.state, WebhookDelivery.attempts, WebhookDelivery.next_attempt_at,
                     WebhookDelivery.last_status, WebhookDelivery.last_error, WebhookDelivery.created_at,
                     WebhookDelivery.finished_at)


class Webhooks:
    def __init__(self, db: Database):
        self.db = db

    # -- endpoints ---------------------------------------------------------------
    def create_endpoint(self, url: str, description: str | None, event_types: list, enabled: bool,
                        secret: bytes, endpoint_id: str) -> Endpoint:
        with self.db.session() as session:
            row = WebhookEndpoint(id=endpoint_id, url=url, description=description, event_types=event_types,
                                  enabled=enabled, secret=secret)
            session.add(row)
            session.flush()
            return _endpoint(row)

    def endpoint(self, endpoint_id: str) -> Endpoint | None:
        with self.db.read() as session:
            row = session.get(WebhookEndpoint, endpoint_id)
            return _endpoint(row) if row else None

    def endpoints(self, after: tuple[dt.datetime, str] | None, limit: int) -> list[Endpoint]:
        """Oldest first, a keyset on (created_at, id)."""
        query = select(WebhookEndpoint).order_by(WebhookEndpoint.created_at, WebhookEndpoint.id).limit(limit)
        if after is not None:
            query = query.where(tuple_(WebhookEndpoint.created_at, WebhookEndpoint.id) > tuple_(*after))
        with self.db.lagging_read() as session:
            return [_endpoint(row) for row in session.scalars(query)]

    def update_endpoint(self, endpoint_id: str, seen_version: int, **values) -> bool:
        """Compare-and-set on the version: of two writers that read the same version, one wins."""
        with self.db.session() as session:
            return session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id,
                                                                 WebhookEndpoint.version == seen_version)
                                   .values(version=seen_version + 1, **values)).rowcount == 1

    def delete_endpoint(self, endpoint_id: str, seen_version: int) -> bool:
        with self.db.session() as session:
            return session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id,
                                                                 WebhookEndpoint.version == seen_version)
                                   ).rowcount == 1

    # -- the outbox: called inside the change's unit of work ---------------------
    def add_event(self, event_type: str, data: dict, order_key: str | None, occurred_at: dt.datetime) -> str | None:
        """The event and one pending delivery per enabled endpoint subscribed to its type; nothing
        (None) when no endpoint wants it."""
        with self.db.session() as session:
            subscribed = [endpoint_id for endpoint_id, types in session.execute(
                select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(WebhookEndpoint.enabled.is_(True)))
                if event_type in (types or ())]
            if not subscribed:
                return None
            event = WebhookEvent(type=event_type, data=data, occurred_at=occurred_at)
            session.add(event)
            session.flush()
            session.add_all(WebhookDelivery(event_id=event.id, endpoint_id=endpoint_id, order_key=order_key,
                                            state=PENDING, attempts=0, next_attempt_at=occurred_at,
                                            created_at=occurred_at) for endpoint_id in subscribed)
            return event.id

    # -- the worker --------------------------------------------------------------
    def claim(self, now: dt.datetime, lease_seconds: float, limit: int) -> list[Job]:
        """Due deliveries to enabled endpoints, each the oldest pending one of its (endpoint, user)
        (a user's later event waits for their earlier one), leased to this worker until
        now + lease_seconds."""
        earlier = aliased(WebhookDelivery)
        query = (select(WebhookDelivery.id).join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                 .where(WebhookDelivery.state == PENDING, WebhookDelivery.next_attempt_at <= now,
                        WebhookEndpoint.enabled.is_(True),
                        (WebhookDelivery.lease_until.is_(None)) | (WebhookDelivery.lease_until <= now),
                        ~exists().where(earlier.endpoint_id == WebhookDelivery.endpoint_id,
                                        earlier.order_key == WebhookDelivery.order_key,
                                        earlier.state == PENDING, earlier.id < WebhookDelivery.id))
                 .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit))
        if not self.db.is_sqlite:
            query = query.with_for_update(of=WebhookDelivery, skip_locked=True)
        jobs = []
        with self.db.session() as session:
            ids = list(session.scalars(query))
            if not ids:
                return []
            session.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_(ids))
                            .values(lease_until=now + dt.timedelta(seconds=lease_seconds)))
            rows = session.execute(select(WebhookDelivery, WebhookEvent, WebhookEndpoint)
                                   .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
                                   .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                                   .where(WebhookDelivery.id.in_(ids)).order_by(WebhookDelivery.id))
            for delivery, event, endpoint in rows:
                jobs.append(Job(delivery.id, delivery.attempts, event.id, event.type, dict(event.data),
                                event.occurred_at, _endpoint(endpoint)))
        return jobs

    def record_attempt(self, job: Job, attempted_at: dt.datetime, status: int | None, duration_ms: int,
                       error: str | None, next_attempt_at: dt.datetime | None) -> None:
        """The attempt, and the delivery's new state: delivered (a 2xx), pending again at
        next_attempt_at, or failed (next_attempt_at None); the endpoint's failing_since follows."""
        ok = status is not None and 200 <= status < 300
        state = DELIVERED if ok else PENDING if next_attempt_at is not None else FAILED
        with self.db.session() as session:
            session.add(WebhookAttempt(delivery_id=job.delivery_id, attempted_at=attempted_at, status=status,
                                       duration_ms=duration_ms, error=error))
            session.execute(update(WebhookDelivery).where(WebhookDelivery.id == job.delivery_id).values(
                state=state, attempts=WebhookDelivery.attempts + 1, lease_until=None, last_status=status,
                last_error=error, next_attempt_at=next_attempt_at or attempted_at,
                finished_at=None if state == PENDING else attempted_at))
            endpoint = update(WebhookEndpoint).where(WebhookEndpoint.id == job.endpoint.id)
            if ok:
                session.execute(endpoint.values(failing_since=None))
            else:
                session.execute(endpoint.where(WebhookEndpoint.failing_since.is_(None))
                                .values(failing_since=attempted_at))

    def disable_failing(self, endpoint_id: str, failing_before: dt.datetime, reason: str) -> bool:
        """Disable the endpoint if it has failed continuously since before `failing_before`; True
        when this call did (once, whichever worker asks)."""
        with self.db.session() as session:
            return session.execute(update(WebhookEndpoint).where(
                WebhookEndpoint.id == endpoint_id, WebhookEndpoint.enabled.is_(True),
                WebhookEndpoint.failing_since < failing_before)
                .values(enabled=False, disabled_reason=reason, version=WebhookEndpoint.version + 1)).rowcount == 1

    # -- reading and replaying deliveries ----------------------------------------
    def deliveries(self, endpoint_id: str, before: int | None, limit: int, state: str | None = None) -> list[Delivery]:
        """Newest first, a keyset on id (the (endpoint_id, id) index)."""
        query = (select(*_DELIVERY_COLUMNS).join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
                 .where(WebhookDelivery.endpoint_id == endpoint_id).order_by(WebhookDelivery.id.desc()).limit(limit))
        if before is not None:
            query = query.where(WebhookDelivery.id < before)
        if state is not None:
            query = query.where(WebhookDelivery.state == state)
        with self.db.lagging_read() as session:
            return [Delivery(*row) for row in session.execute(query)]

    def delivery(self, delivery_id: int) -> Delivery | None:
        query = (select(*_DELIVERY_COLUMNS).join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
                 .where(WebhookDelivery.id == delivery_id))
        with self.db.read() as session:
            row = session.execute(query).first()
            return Delivery(*row) if row else None

    def attempts(self, delivery_id: int, limit: int = 100) -> list[Attempt]:
        with self.db.read() as session:
            return [Attempt(*row) for row in session.execute(
                select(WebhookAttempt.id, WebhookAttempt.attempted_at, WebhookAttempt.status,
                       WebhookAttempt.duration_ms, WebhookAttempt.error)
                .where(WebhookAttempt.delivery_id == delivery_id).order_by(WebhookAttempt.id).limit(limit))]

    def replay(self, delivery_id: int, now: dt.datetime) -> int | None:
        """A new pending delivery of the same event to the same endpoint, due now (the webhook-id,
        the event's id, is the same: a receiver that saw it can tell); None if the delivery is gone."""
        with self.db.session() as session:
            old = session.get(WebhookDelivery, delivery_id)
            if old is None:
                return None
            row = WebhookDelivery(event_id=old.event_id, endpoint_id=old.endpoint_id, order_key=old.order_key,
                                  state=PENDING, attempts=0, next_attempt_at=now, created_at=now)
            session.add(row)
            session.flush()
            return row.id
