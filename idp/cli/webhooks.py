"""`idp webhooks`: the endpoints signed webhooks go to, their deliveries and replays
(idp/events/admin.py, which the admin API's /webhooks and the console use too)."""

from __future__ import annotations

import json

import click

from idp.administration import Actor
from idp.cli.common import load_services, refusals, request_like_context, seconds_option
from idp.cli.paging import limit_options, stream


@click.group()
def webhooks():
    """Signed webhooks (Standard Webhooks): endpoints, deliveries, replays (docs/webhooks.md)."""


def webhook_admin():
    from idp.events.admin import WebhookAdmin

    svc = load_services()
    return svc, WebhookAdmin(svc)


def _print(document: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(document, sort_keys=True))
        return
    state = "enabled" if document["enabled"] else f"disabled ({document['disabled_reason'] or 'by an administrator'})"
    click.echo(f"{document['id']}  {state}  {document['url']}  {','.join(document['event_types'])}"
               + (f"  {document['description']}" if document.get("description") else ""))


@webhooks.command("event-types")
def webhooks_event_types():
    """The event types an endpoint may subscribe to."""
    from idp.events.types import EVENT_TYPES

    for name, text in EVENT_TYPES.items():
        click.echo(f"{name:28} {text}")


@webhooks.command("create")
@click.option("--url", required=True, help="https://… (http only to 127.0.0.1 with WEBHOOK_ALLOW_LOOPBACK)")
@click.option("--event", "event_types", multiple=True, required=True, help="an event type (repeat; see event-types)")
@click.option("--description", default=None)
@click.option("--disabled", is_flag=True, help="create it disabled")
@click.option("--json", "as_json", is_flag=True)
def webhooks_create(url, event_types, description, disabled, as_json):
    """A new endpoint; prints its signing secret (whsec_…) once."""
    from idp.events.admin import endpoint_document

    svc, admin = webhook_admin()
    fields = {"url": url, "event_types": list(event_types), "enabled": not disabled}
    if description is not None:
        fields["description"] = description
    with refusals(), request_like_context(svc):
        endpoint, secret = admin.create(Actor.operator(), fields)
    if as_json:
        click.echo(json.dumps({**endpoint_document(endpoint), "secret": secret}, sort_keys=True))
        return
    _print(endpoint_document(endpoint), False)
    click.echo(f"secret  {secret}   (shown once: store it now)")


@webhooks.command("list")
@limit_options
@click.option("--json", "as_json", is_flag=True, help="one JSON object a line")
def webhooks_list(limit, after, as_json):
    """Every endpoint, oldest first (--after: the id printed last)."""
    from idp.events.admin import endpoint_document

    svc, admin = webhook_admin()
    start = None
    if after:
        with refusals():
            found = admin.get(after)
        start = [found.created_at.isoformat(), found.id]
    with refusals():
        for endpoint in stream(lambda size, key: admin.list(after=key, limit=size).items,
                               lambda e: [e.created_at.isoformat(), e.id], limit, start):
            _print(endpoint_document(endpoint), as_json)


@webhooks.command("show")
@click.argument("endpoint_id")
def webhooks_show(endpoint_id):
    """One endpoint: URL, event types, state, failures (never its secret)."""
    from idp.events.admin import endpoint_document

    _, admin = webhook_admin()
    with refusals():
        click.echo(json.dumps(endpoint_document(admin.get(endpoint_id)), indent=2, sort_keys=True))


@webhooks.command("update")
@click.argument("endpoint_id")
@click.option("--url", default=None)
@click.option("--event", "event_types", multiple=True, help="replaces the subscribed types (repeat)")
@click.option("--description", default=None)
@click.option("--enable/--disable", "enabled", default=None, help="enabling again forgets past failures")
@click.option("--json", "as_json", is_flag=True)
def webhooks_update(endpoint_id, url, event_types, description, enabled, as_json):
    """Change an endpoint's URL, event types, description, or enable/disable it."""
    from idp.events.admin import endpoint_document

    changes = {k: v for k, v in {"url": url, "description": description, "enabled": enabled}.items()
               if v is not None}
    if event_types:
        changes["event_types"] = list(event_types)
    if not changes:
        raise click.UsageError("nothing to change: give --url, --event, --description, --enable or --disable")
    svc, admin = webhook_admin()
    with refusals(), request_like_context(svc):
        endpoint = admin.update(Actor.operator(), endpoint_id, changes)
    _print(endpoint_document(endpoint), as_json)


@webhooks.command("delete")
@click.argument("endpoint_id")
def webhooks_delete(endpoint_id):
    """Delete an endpoint with its deliveries."""
    svc, admin = webhook_admin()
    with refusals(), request_like_context(svc):
        admin.delete(Actor.operator(), endpoint_id)
    click.echo(f"deleted {endpoint_id}")


@webhooks.command("rotate-secret")
@click.argument("endpoint_id")
@click.option("--overlap", default="1d", help="how long the current secret signs too (0, 900, 1h, 1d; at most 7d)")
@click.option("--json", "as_json", is_flag=True)
def webhooks_rotate_secret(endpoint_id, overlap, as_json):
    """A new secret (shown once); both sign every webhook during --overlap."""
    seconds = seconds_option("--overlap", overlap)
    svc, admin = webhook_admin()
    with refusals(), request_like_context(svc):
        endpoint, secret = admin.rotate_secret(Actor.operator(), endpoint_id, seconds)
    until = endpoint.previous_secret_until
    if as_json:
        click.echo(json.dumps({"id": endpoint.id, "secret": secret,
                               "previous_secret_valid_until": until.isoformat() + "Z" if until else None}))
        return
    click.echo(f"secret  {secret}   (shown once: store it now)")
    click.echo(f"the previous secret signs too until {until:%Y-%m-%d %H:%M:%S} UTC" if until
               else "the previous secret no longer signs")


@webhooks.command("deliveries")
@click.argument("endpoint_id")
@click.option("--state", type=click.Choice(["pending", "delivered", "failed"]), default=None)
@limit_options
@click.option("--json", "as_json", is_flag=True, help="one JSON object a line")
def webhooks_deliveries(endpoint_id, state, limit, after, as_json):
    """The endpoint's deliveries, newest first (--after: the delivery id printed last)."""
    from idp.events.admin import delivery_document

    _, admin = webhook_admin()
    start = None
    if after is not None:
        if not after.isdigit():
            raise click.UsageError("--after: a delivery id")
        start = [int(after)]
    with refusals():
        for delivery in stream(lambda size, key: admin.deliveries(endpoint_id, state=state, after=key,
                                                                  limit=size).items,
                               lambda d: [d.id], limit, start):
            document = delivery_document(delivery)
            if as_json:
                click.echo(json.dumps(document, sort_keys=True))
            else:
                click.echo(f"{delivery.id}  {delivery.state:9}  {delivery.event_type:28}  attempts {delivery.attempts}"
                           f"  {delivery.last_status or ''}  {delivery.last_error or ''}".rstrip())


@webhooks.command("attempts")
@click.argument("endpoint_id")
@click.argument("delivery_id")
def webhooks_attempts(endpoint_id, delivery_id):
    """Every attempt of one delivery: when, the status code, how long, the error."""
    _, admin = webhook_admin()
    with refusals():
        _, attempts = admin.delivery(endpoint_id, delivery_id)
    for attempt in attempts:
        click.echo(f"{attempt.attempted_at:%Y-%m-%d %H:%M:%S}  {attempt.status or '-':>3}  {attempt.duration_ms} ms"
                   f"  {attempt.error or ''}".rstrip())


@webhooks.command("replay")
@click.argument("endpoint_id")
@click.argument("delivery_id")
def webhooks_replay(endpoint_id, delivery_id):
    """Send the delivery's event again (same webhook-id), as a new delivery due now."""
    svc, admin = webhook_admin()
    with refusals(), request_like_context(svc):
        delivery = admin.replay(Actor.operator(), endpoint_id, delivery_id)
    click.echo(f"queued delivery {delivery.id}")
