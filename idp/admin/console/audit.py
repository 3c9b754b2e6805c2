"""The audit trail: filtered by action, user (email or id) and date, newest first, a keyset page at a time."""

from __future__ import annotations

import datetime as dt

from flask import render_template, request

import idp.admin.console.backend as backend
from idp.admin.console.blueprint import bp
from idp.admin.console.pages import PAGE_SIZE, cursor_from_request, cursor_link, utc


@bp.get("/audit")
def audit():
    action = request.args.get("action", "").strip()[:64]
    who = request.args.get("user", "").strip()[:320]
    since_text = request.args.get("since", "").strip()[:10]
    try:
        since = dt.datetime.strptime(since_text, "%Y-%m-%d") if since_text else None
    except ValueError:
        since, since_text = None, ""
    user_id = None
    if who:
        found = backend.user_by_email(who) if "@" in who else backend.user(who) if len(who) <= 36 else None
        user_id = found.id if found else "-"  # no such user: an empty page, not every event
    after = cursor_from_request()
    page = backend.audit_page(action or None, user_id, since, after, PAGE_SIZE)
    filters = {"action": action, "user": who, "since": since_text}
    return render_template("admin/audit.html", entries=page.items, next_cursor=cursor_link(page.next_key),
                           first_page=after is None, filters=filters, actions=backend.audit_actions(), utc=utc)
