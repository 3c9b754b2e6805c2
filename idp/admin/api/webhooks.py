"""/admin/api/v1/webhooks (issue 35): the endpoints signed webhooks go to (Standard Webhooks), their
deliveries and attempts, replays and secret rotation; the rules are WebhookAdmin's
(idp/events/admin.py). The `whsec_` secret is in exactly two answers, the 201 of the creation
and the 200 of a rotation (Cache-Control: no-store, as every admin API answer)."""

from __future__ import annotations

from flask import jsonify, request, url_for

from idp.admin.api.framework import (
    READ,
    WRITE,
    bp,
    current_actor,
    if_match,
    json_body,
    page_args,
    page_response,
    requires,
    resource,
)
from idp.events.admin import (
    DEFAULT_OVERLAP,
    WebhookAdmin,
    attempt_document,
    delivery_document,
    endpoint_document,
    endpoint_version,
)
from idp.events.types import EVENT_TYPES
from idp.plumbing.context import services

MEMBERS = {"url": (str,), "event_types": (list,), "description": (str, None), "enabled": (bool,)}


def admin() -> WebhookAdmin:
    return WebhookAdmin(services())


@bp.get("/webhooks/event-types")
@requires(READ)
def list_webhook_event_types():
    """The fixed list of event types an endpoint may subscribe to (docs/webhooks.md)."""
    return jsonify(items=[{"type": name, "description": text} for name, text in EVENT_TYPES.items()])


@bp.post("/webhooks")
@requires(WRITE)
def create_webhook():
    """{"url", "event_types", "description"?, "enabled"?}: the answer's `secret` is shown this once."""
    endpoint, secret = admin().create(current_actor(), json_body(MEMBERS, required=("url", "event_types")))
    return resource({**endpoint_document(endpoint), "secret": secret}, endpoint_version(endpoint), 201,
                    url_for("admin_api.get_webhook", endpoint_id=endpoint.id))


@bp.get("/webhooks")
@requires(READ)
def list_webhooks():
    """?limit=, ?cursor=; oldest first."""
    return page_response(admin().list(**page_args()), endpoint_document)


@bp.get("/webhooks/<endpoint_id>")
@requires(READ)
def get_webhook(endpoint_id):
    endpoint = admin().get(endpoint_id)
    return resource(endpoint_document(endpoint), endpoint_version(endpoint))


@bp.patch("/webhooks/<endpoint_id>")
@requires(WRITE)
def update_webhook(endpoint_id):
    """A merge patch of url, event_types, description, enabled; If-Match required."""
    webhooks = admin()
    webhooks.get(endpoint_id)  # 404 before 428
    endpoint = webhooks.update(current_actor(), endpoint_id, json_body(MEMBERS), if_match())
    return resource(endpoint_document(endpoint), endpoint_version(endpoint))


@bp.delete("/webhooks/<endpoint_id>")
@requires(WRITE)
def delete_webhook(endpoint_id):
    webhooks = admin()
    webhooks.get(endpoint_id)
    webhooks.delete(current_actor(), endpoint_id, if_match())
    return "", 204


@bp.post("/webhooks/<endpoint_id>/rotate-secret")
@requires(WRITE)
def rotate_webhook_secret(endpoint_id):
    """{"overlap_seconds": 86400}: the new `secret`, shown this once; the old one signs too until
    previous_secret_valid_until. If-Match required."""
    webhooks = admin()
    webhooks.get(endpoint_id)
    version = if_match()
    body = json_body({"overlap_seconds": (int,)}) if request.get_data() else {}
    endpoint, secret = webhooks.rotate_secret(current_actor(), endpoint_id,
                                              body.get("overlap_seconds", DEFAULT_OVERLAP), version)
    return resource({**endpoint_document(endpoint), "secret": secret}, endpoint_version(endpoint))


@bp.get("/webhooks/<endpoint_id>/deliveries")
@requires(READ)
def list_webhook_deliveries(endpoint_id):
    """?state=pending|delivered|failed, ?limit=, ?cursor=; newest first."""
    page = admin().deliveries(endpoint_id, state=request.args.get("state"), **page_args())
    return page_response(page, delivery_document)


@bp.get("/webhooks/<endpoint_id>/deliveries/<delivery_id>")
@requires(READ)
def get_webhook_delivery(endpoint_id, delivery_id):
    """The delivery and its `history`, every attempt: when, the status code (null: no answer), how long, why it failed."""
    delivery, attempts = admin().delivery(endpoint_id, delivery_id)
    return jsonify({**delivery_document(delivery), "history": [attempt_document(a) for a in attempts]})


@bp.post("/webhooks/<endpoint_id>/deliveries/<delivery_id>/replay")
@requires(WRITE)
def replay_webhook_delivery(endpoint_id, delivery_id):
    """The event again, as a new delivery (same webhook-id), due now: 202 and the new delivery."""
    delivery = admin().replay(current_actor(), endpoint_id, delivery_id)
    response = jsonify(delivery_document(delivery))
    response.status_code = 202
    response.headers["Location"] = url_for("admin_api.get_webhook_delivery", endpoint_id=endpoint_id,
                                           delivery_id=delivery.id)
    return response
