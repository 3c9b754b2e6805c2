"""The audit trail with the CLI's filters (`idp audit list`: action, user, client, actor, a time
range), newest first, a keyset page at a time; the people and clients it names shown by name (one
batched lookup per page, AuditAdmin.names) and each event's details as a key/value list (issue 34)."""

from __future__ import annotations

import datetime as dt

from flask import render_template, request

import idp.admin.console.backend as backend
from idp.admin.console.blueprint import bp
from idp.admin.console.pages import PAGE_SIZE, cursor_from_request, cursor_link, utc
from idp.administration.audit import detail_items
from idp.i18n import gettext as _

FILTERS = ("action", "user", "client", "actor", "since", "until")


def moment(text: str) -> dt.datetime | None:
    """A date (2026-01-31) or a date and time (2026-01-31T08:00, what datetime-local sends), UTC."""
    for layout in ("%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, layout)
        except ValueError:
            continue
    return None


def user_named(who: str) -> str | None:
    """A user filter (email or id) as a user id; "-" (no event matches) when there is no such user."""
    if not who:
        return None
    found = backend.user_by_email(who) if "@" in who else backend.user(who) if len(who) <= 36 else None
    return found.id if found else "-"


def actor_named(who: str) -> str | None:
    """An actor filter: cli, client:<id>, user:<id>, or an administrator's email (as user:<id>)."""
    if not who or who == "cli" or who.startswith(("client:", "user:")):
        return who or None
    user_id = user_named(who)
    return f"user:{user_id}" if user_id != "-" else "-"


@bp.get("/audit")
def audit():
    filters = {name: request.args.get(name, "").strip()[:320] for name in FILTERS}
    errors = []
    span = {}
    for name in ("since", "until"):
        span[name] = moment(filters[name][:16]) if filters[name] else None
        if filters[name] and span[name] is None:
            errors.append(_("“%(value)s” is not a date: this filter was left out.", value=filters[name]))
            filters[name] = ""
    after = cursor_from_request()
    page = backend.audit_page(after, PAGE_SIZE, action=filters["action"][:64] or None,
                              user_id=user_named(filters["user"]), client_id=filters["client"][:64] or None,
                              actor=actor_named(filters["actor"]), since=span["since"], until=span["until"])
    names = backend.audit_names(page.items)
    shown = {name: value for name, value in filters.items() if value}
    return render_template("admin/audit.html", entries=page.items, next_cursor=cursor_link(page.next_key),
                           first_page=after is None, filters=filters, shown=shown, errors=errors,
                           actions=backend.audit_actions(), utc=utc, names=names, detail_items=detail_items)
