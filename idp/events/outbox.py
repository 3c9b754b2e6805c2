"""Writing events to the webhook outbox, in the transaction of the change they report.

A service that changes something wraps the store call and the event in one unit of work:

    with services.events.change():
        view = services.users.create(...)
        services.events.emit("user.created", types.user_created(...), user_id=view.id)

so a change that rolls back leaves no event, and no change commits without its event (the
delivery worker then sends it, at least once, from the database: a restart, a Redis outage or a
receiver's loses nothing). Events with no change of the database behind them (a sign-in, a
failure, a lockout, a session ended in the ephemeral store) are written on their own.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from sqlalchemy.exc import SQLAlchemyError

from idp.events import types
from idp.events.types import EVENT_TYPES
from idp.observability.metrics import dependency_failed
from idp.store.db import Database
from idp.store.models import utcnow
from idp.store.webhooks import Webhooks

log = logging.getLogger("idp.webhooks")


class EventOutbox:
    def __init__(self, db: Database, webhooks: Webhooks, wake=None):
        self.db, self.webhooks = db, webhooks
        self.wake = wake or (lambda: None)  # the delivery worker, told there is work

    @contextlib.contextmanager
    def change(self) -> Iterator[None]:
        """The change and the events emitted inside commit together."""
        with self.db.unit_of_work():
            yield

    def emit(self, event_type: str, data: dict, *, user_id: str | None = None) -> str | None:
        """Inside change() (or any unit of work): part of its transaction; the worker is woken once it
        commits. user_id: whose event it is (ordering)."""
        if event_type not in EVENT_TYPES:
            raise ValueError(f"unknown webhook event type {event_type}")
        event_id = self.webhooks.add_event(event_type, data, user_id, utcnow())
        if event_id is not None:
            self.db.after_commit(self.wake)
        return event_id

    def key_promoted(self, alg: str, kid: str, previous_kid: str) -> None:
        """KeyManager.on_promoted: key.rotated, in the rotation's own transaction."""
        self.emit("key.rotated", types.key_rotated(kid, alg, previous_kid))

    def emit_alone(self, event_type: str, data: dict, *, user_id: str | None = None) -> None:
        """An event no database change stands behind (a sign-in): its own transaction. A database
        blip must not fail the sign-in it reports: logged and counted, as audit.record does."""
        try:
            with self.change():
                self.emit(event_type, data, user_id=user_id)
        except SQLAlchemyError:
            dependency_failed("database")
            log.error("webhook event %s not stored: database unavailable", event_type)
