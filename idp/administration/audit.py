"""The audit trail as administrators read it: filtered by time range, user, client, action and
actor, newest first, in keyset pages (the API's /audit-events, `idp audit list`, the console)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from idp.administration import DEFAULT_LIMIT, Page, check_limit, page_of, version_of
from idp.administration.errors import Invalid, NotFound
from idp.store.admin_queries import AdminQueries
from idp.store.audit_events import AuditEntry

MAX_FILTER = 320
MAX_ID = 2**31 - 1  # audit_events.id is a 32-bit serial


def utc_moment(name: str, value, errors: dict) -> dt.datetime | None:
    """An ISO 8601 date/time (UTC unless it says otherwise) as the naive UTC the table holds."""
    if value is None or isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(value) if isinstance(value, str) and len(value) <= 64 else None
        except ValueError:
            moment = None
        if moment is None:
            errors[name] = "an ISO 8601 date/time, e.g. 2026-01-31T08:00:00Z"
            return None
    if moment is not None and moment.tzinfo is not None:
        try:
            moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
        except OverflowError:  # 0001-01-01T00:00+14:00 is before year 1 in UTC
            errors[name] = "a date/time between the years 1 and 9999 (UTC)"
            return None
    return moment


@dataclasses.dataclass(frozen=True)
class Names:
    users: dict  # user id -> (email, name)
    clients: dict  # client_id -> name


def detail_items(details: dict) -> list[tuple[str, str]]:
    """An event's details as (key, text) pairs a person reads: lists joined, nested objects as
    key: value, nothing as "—" (never Python's repr)."""
    def text(value) -> str:
        if value is None or value == "" or value == []:
            return "—"
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, (list, tuple)):
            return ", ".join(text(item) for item in value)
        if isinstance(value, dict):
            return "; ".join(f"{key}: {text(item)}" for key, item in sorted(value.items()))
        return str(value)
    return [(str(key), text(value)) for key, value in sorted((details or {}).items())]


def entry_key(entry: AuditEntry) -> list:
    return [entry.occurred_at.isoformat(), entry.id]


def parse_key(after, errors: dict) -> tuple[dt.datetime, int] | None:
    if after is None:
        return None
    if (isinstance(after, list) and len(after) == 2 and isinstance(after[0], str) and type(after[1]) is int
            and 0 <= after[1] <= MAX_ID):
        try:
            moment = dt.datetime.fromisoformat(after[0])
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is None:  # ours are naive UTC (entry_key)
            return moment, after[1]
    errors["cursor"] = "not a cursor of this list"
    return None


def audit_version(entry: AuditEntry) -> str:
    return version_of(entry.id, entry.occurred_at.isoformat())  # events never change


class AuditAdmin:
    def __init__(self, services):
        self.events = services.audit_events
        self.queries = AdminQueries(services.db)

    def names(self, entries: list[AuditEntry]) -> Names:
        """Who the entries name, by name: their users and clients, and the actors (user:<id>,
        client:<id>), looked up for the whole page at once (two queries, not one per row)."""
        named = {"user": set(), "client": set()}
        for entry in entries:
            named["user"].add(entry.user_id or "")
            named["client"].add(entry.client_id or "")
            kind, _, ident = (entry.actor or "").partition(":")
            if kind in named:
                named[kind].add(ident)
        users, clients = self.queries.names_of([i for i in named["user"] if 0 < len(i) <= 36],
                                               [i for i in named["client"] if 0 < len(i) <= 64])
        return Names(users, clients)

    def list(self, *, since=None, until=None, user_id=None, client_id=None, action=None, actor=None,
             after: list | None = None, limit: int = DEFAULT_LIMIT) -> Page:
        """Events at or after `since` and before `until`, equal to each filter given, newest first."""
        check_limit(limit)
        errors: dict[str, str] = {}
        moments = {name: utc_moment(name, value, errors) for name, value in (("since", since), ("until", until))}
        equal = {"user_id": user_id, "client_id": client_id, "action": action, "actor": actor}
        for name, value in equal.items():
            if value is not None and (not isinstance(value, str) or len(value) > MAX_FILTER):
                errors[name] = f"text of at most {MAX_FILTER} characters"
        before = parse_key(after, errors)
        if errors:
            raise Invalid(errors)
        rows = self.events.list(since=moments["since"], until=moments["until"], before=before, limit=limit + 1,
                                **equal)
        return page_of(rows, limit, entry_key)

    def get(self, event_id) -> AuditEntry:
        known = isinstance(event_id, str) and event_id.isascii() and event_id.isdigit() and len(event_id) <= 10
        entry = self.events.get(int(event_id)) if known and int(event_id) <= MAX_ID else None
        if entry is None:
            raise NotFound("audit event", str(event_id))
        return entry
