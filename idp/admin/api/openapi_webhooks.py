"""The admin API's webhooks (issue 35) in /openapi.json (OpenAPI 3.1), beside openapi_apis.py
(whose helpers it shares), exercised by tests/test_openapi.py."""

from __future__ import annotations

from idp.admin.api.framework import PREFIX
from idp.admin.api.openapi import _ETAG, _IF_MATCH, _S, _json_body, _ok, _page, _problems, _query
from idp.admin.api.openapi_apis import _NULLABLE_S, _list, _object, _op, _path
from idp.events.types import EVENT_TYPES

_STAMP = {"type": "string", "format": "date-time"}
_NULLABLE_STAMP = {"type": ["string", "null"], "format": "date-time"}
_TYPES = {"type": "array", "minItems": 1, "items": {"enum": list(EVENT_TYPES)}}
_CHANGEABLE = {"url": {"type": "string", "description": "https (http only to loopback with WEBHOOK_ALLOW_LOOPBACK)"},
               "event_types": _TYPES, "description": _NULLABLE_S, "enabled": {"type": "boolean"}}
_ENDPOINT = dict(id=_S, url=_S, description=_NULLABLE_S, event_types=_TYPES, enabled={"type": "boolean"},
                 disabled_reason=_NULLABLE_S, failing_since=_NULLABLE_STAMP,
                 previous_secret_valid_until=_NULLABLE_STAMP, created_at=_STAMP)
_DELIVERY = dict(id={"type": "integer"}, event_id=_S, event_type=_S,
                 state={"enum": ["pending", "delivered", "failed"]}, attempts={"type": "integer", "minimum": 0},
                 last_status={"type": ["integer", "null"]}, last_error=_NULLABLE_S, next_attempt_at=_NULLABLE_STAMP,
                 created_at=_STAMP, finished_at=_NULLABLE_STAMP)
_ATTEMPT = _object(["attempted_at", "status", "duration_ms", "error"], attempted_at=_STAMP,
                   status={"type": ["integer", "null"]}, duration_ms={"type": "integer"}, error=_NULLABLE_S)


def paths() -> dict:
    one = f"{PREFIX}/webhooks/{{endpoint_id}}"
    delivery = f"{one}/deliveries/{{delivery_id}}"
    deliveries = _list("adminListWebhookDeliveries", "WebhookDeliveryPage", "deliveries, newest first", "endpoint_id")
    deliveries["parameters"].append(_query("state", {"enum": ["pending", "delivered", "failed"]}, "only these"))
    return {
        f"{PREFIX}/webhooks/event-types": {"get": _op(
            "adminListWebhookEventTypes", responses={"200": _ok("WebhookEventTypes", "the fixed list"),
                                                     **_problems()})},
        f"{PREFIX}/webhooks": {
            "get": _list("adminListWebhooks", "WebhookEndpointPage", "endpoints, oldest first"),
            "post": _op("adminCreateWebhook", requestBody=_json_body("NewWebhookEndpoint"),
                        responses={"201": _ok("WebhookEndpointWithSecret", "created; `secret` is shown this once",
                                              {**_ETAG, "Location": {"schema": _S}}), **_problems(400, 415)}),
        },
        one: {
            "get": _op("adminGetWebhook", parameters=_path("endpoint_id"),
                       responses={"200": _ok("WebhookEndpoint", "the endpoint (never its secret)", _ETAG),
                                  **_problems(404)}),
            "patch": _op("adminUpdateWebhook", parameters=[*_path("endpoint_id"), _IF_MATCH],
                         requestBody=_json_body("WebhookEndpointChanges", "application/json",
                                                "application/merge-patch+json"),
                         responses={"200": _ok("WebhookEndpoint", "changed", _ETAG),
                                    **_problems(400, 404, 412, 415, 428)}),
            "delete": _op("adminDeleteWebhook", parameters=[*_path("endpoint_id"), _IF_MATCH],
                          responses={"204": {"description": "deleted, with its deliveries"},
                                     **_problems(404, 412, 428)}),
        },
        f"{one}/rotate-secret": {"post": _op(
            "adminRotateWebhookSecret", parameters=[*_path("endpoint_id"), _IF_MATCH],
            requestBody={"required": False, "content": {"application/json": {"schema": _object(
                [], overlap_seconds={"type": "integer", "minimum": 0, "maximum": 7 * 86400})}}},
            responses={"200": _ok("WebhookEndpointWithSecret", "the new `secret`, shown this once", _ETAG),
                       **_problems(400, 404, 412, 415, 428)})},
        f"{one}/deliveries": {"get": deliveries},
        delivery: {"get": _op("adminGetWebhookDelivery", parameters=_path("endpoint_id", "delivery_id"),
                              responses={"200": _ok("WebhookDeliveryDetail", "the delivery and its attempts"),
                                         **_problems(404)})},
        f"{delivery}/replay": {"post": _op(
            "adminReplayWebhookDelivery", parameters=_path("endpoint_id", "delivery_id"),
            responses={"202": _ok("WebhookDelivery", "a new delivery of the same event, due now",
                                  {"Location": {"schema": _S}}), **_problems(404)})},
    }


def schemas() -> dict:
    return {
        "WebhookEventTypes": _object(["items"], items={"type": "array", "items": _object(
            ["type", "description"], type=_S, description=_S)}),
        "WebhookEndpoint": _object(list(_ENDPOINT), **_ENDPOINT),
        "WebhookEndpointWithSecret": _object([*_ENDPOINT, "secret"], **_ENDPOINT,
                                             secret={"type": "string", "pattern": "^whsec_"}),
        "NewWebhookEndpoint": {"type": "object", "additionalProperties": False, "required": ["url", "event_types"],
                               "properties": _CHANGEABLE},
        "WebhookEndpointChanges": {"type": "object", "additionalProperties": False, "properties": _CHANGEABLE},
        "WebhookEndpointPage": _page("WebhookEndpoint"),
        "WebhookDelivery": _object(list(_DELIVERY), **_DELIVERY),
        "WebhookDeliveryDetail": _object([*_DELIVERY, "history"], **_DELIVERY,
                                         history={"type": "array", "items": _ATTEMPT}),
        "WebhookDeliveryPage": _page("WebhookDelivery"),
    }
