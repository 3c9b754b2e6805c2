"""The purge covers the webhook outbox (issue 35, docs/retention.md): an event goes WEBHOOK_RETENTION
after it happened once none of its deliveries is pending (delivered or given up on), with its
deliveries and their attempts; an event still being retried stays however old it is."""

from __future__ import annotations

from sqlalchemy import insert

from idp.store.purge import Retention
from idp.store.webhook_models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

from .test_retention import NOW, SECOND, add, database, days, keys, purge  # noqa: F401 (fixtures)


def test_delivered_and_failed_webhook_events_go_after_webhook_retention_pending_never(database):  # noqa: F811
    db = database
    with db.session() as session:
        for table in (WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookEndpoint):
            session.execute(table.__table__.delete())
        session.execute(insert(WebhookEndpoint).values(id="e1", url="https://hooks.example.com/", event_types=[],
                                                       enabled=True, secret=b"x", version=1, created_at=NOW))
    events = {"delivered-past": (NOW - days(7) - SECOND, "delivered"),
              "failed-past": (NOW - days(7) - SECOND, "failed"),
              "delivered-inside": (NOW - days(7) + SECOND, "delivered"),
              "pending-old": (NOW - days(60), "pending")}
    add(db, WebhookEvent, [dict(id=name, type="user.created", data={}, occurred_at=at)
                           for name, (at, _) in events.items()])
    add(db, WebhookDelivery, [dict(event_id=name, endpoint_id="e1", state=state, attempts=1, next_attempt_at=at,
                                   created_at=at) for name, (at, state) in events.items()])
    add(db, WebhookAttempt, [dict(delivery_id=d, attempted_at=NOW - days(8), status=204, duration_ms=3)
                             for d in keys(db, WebhookDelivery.id)])
    report = purge(db, Retention(webhooks=7 * 86400))
    assert keys(db, WebhookEvent.id) == {"delivered-inside", "pending-old"}
    assert report.rows["webhook_events"] == 2
    assert len(keys(db, WebhookDelivery.id)) == 2 and len(keys(db, WebhookAttempt.id)) == 2  # cascaded
    assert purge(db, Retention(webhooks=0)).rows["webhook_events"] == 0  # 0: kept forever
