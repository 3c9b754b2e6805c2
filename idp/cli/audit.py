"""`idp audit`: reading the audit trail."""

from __future__ import annotations

import datetime as dt
import json

import click

from idp.cli.common import (
    load_services,
)
from idp.cli.paging import or_none, stream
from idp.config import ConfigError


@click.group()
def audit():
    """The audit trail (sign-ins, failures, consents)."""


def parse_since(value: str | None) -> dt.datetime | None:
    """An ISO date/time (UTC unless it says otherwise) or an age such as 15m, 24h, 7d."""
    if not value:
        return None
    from idp.config import parse_duration

    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    try:
        return now - dt.timedelta(seconds=parse_duration("--since", value))
    except ConfigError:
        pass
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("an ISO date/time (2026-01-31, 2026-01-31T08:00) or an age (15m, 24h, 7d)",
                                 param_hint="--since") from None
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


@audit.command("list")
@click.option("--since", help="ISO date/time (UTC) or an age: 15m, 24h, 7d")
@click.option("--until", help="ISO date/time (UTC): events before it")
@click.option("--user", help="user id or email")
@click.option("--client", "client_id", help="client id")
@click.option("--action", help="e.g. login.failed")
@click.option("--actor", help="who acted: client:<id>, user:<id> or cli")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--after", type=int, default=None, help="cursor: the id of the last event of the previous page")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
def audit_list(since, until, user, client_id, action, actor, limit, after, as_json):
    """Audit events, newest first (the id first: it is the cursor of --after)."""
    svc = load_services()
    user_id = user
    if user and "@" in user:
        found = svc.users.by_email(user)
        if found is None:
            raise click.ClickException(f"no user {user}")
        user_id = found.id
    since, until = parse_since(since), parse_since(until)

    def fetch(size, cursor):
        return svc.audit_events.list(since=since, until=until, user_id=user_id, client_id=client_id, action=action,
                                     actor=actor, limit=size, after=cursor)

    for entry in or_none(stream(fetch, lambda row: row.id, limit, after),
                         "No more audit events." if after else "No audit events.", err=as_json):
        if as_json:
            click.echo(json.dumps(entry.as_dict(), sort_keys=True))
            continue
        details = " ".join(f"{k}={v}" for k, v in sorted(entry.details.items()))
        by = f"  by={entry.actor}" if entry.actor else ""
        click.echo(f"{entry.id:>8}  {entry.occurred_at:%Y-%m-%dT%H:%M:%S}Z  {entry.action:<16} user={entry.user_id or '-'}  "
                   f"client={entry.client_id or '-'}  ip={entry.ip or '-'}{by}  {details}".rstrip())
