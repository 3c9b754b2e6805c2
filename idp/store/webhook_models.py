"""Tables of signed webhooks (issue 35): the endpoints subscribed, the outbox of events (written in the
transaction of the change they report), one delivery per event and endpoint, and every attempt of
each. Kept apart from models.py so the schema of this feature reads in one place."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.store.models import Base, new_id, utcnow


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    url: Mapped[str] = mapped_column(String(2048), nullable=False)
    description: Mapped[str | None] = mapped_column(String(255))
    event_types: Mapped[list] = mapped_column(JSON, nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # The whsec_ signing secret, encrypted under KEY_ENCRYPTION_KEY (it must be read to sign); the one it
    # replaced signs too until previous_secret_until (Standard Webhooks: zero-downtime rotation).
    secret: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    previous_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    previous_secret_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    failing_since: Mapped[dt.datetime | None] = mapped_column(DateTime)  # first failure since the last success
    disabled_reason: Mapped[str | None] = mapped_column(String(64))  # set when the worker disabled it
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)  # ETag / If-Match
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    __table_args__ = (Index("ix_webhook_endpoints_created", "created_at", "id"),)


class WebhookEvent(Base):
    """The outbox: one row per event, its `data` as sent; its id is the webhook-id header."""

    __tablename__ = "webhook_events"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    type: Mapped[str] = mapped_column(String(64), nullable=False)
    data: Mapped[dict] = mapped_column(JSON, nullable=False)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    __table_args__ = (Index("ix_webhook_events_occurred", "occurred_at", "id"),)


class WebhookDelivery(Base):
    """An event to one endpoint: pending until a 2xx (delivered) or the schedule's end (failed).
    order_key (the user's id) keeps one user's events to one endpoint in the order they happened."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"), nullable=False)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False)
    order_key: Mapped[str | None] = mapped_column(String(36))
    state: Mapped[str] = mapped_column(String(16), default="pending", nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
        Index("ix_webhook_deliveries_order", "endpoint_id", "order_key", "id"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
        Index("ix_webhook_deliveries_event", "event_id"),
    )


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
                                             nullable=False)
    attempted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    status: Mapped[int | None] = mapped_column(Integer)  # the HTTP status; None: no answer (error says why)
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    error: Mapped[str | None] = mapped_column(String(255))
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "id"),)
