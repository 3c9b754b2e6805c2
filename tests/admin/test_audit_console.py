"""The console's audit page (issue 34) has `idp audit list`'s filters (action, user, client, actor,
a time range), names people and clients by name (one batched lookup a page), and shows details as a
key/value list, never Python's repr; a date that is not one is said, not a 500."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

from tests.admin_console_flows import console  # noqa: F401  (the fixture)
from tests.admin.test_holdings_console import text_of
from tests.apis_helpers import uid


def rows(page) -> list[str]:
    return [text_of(type("R", (), {"text": row})) for row in re.findall(r"<tr>(.*?)</tr>", page.text, re.S)]


def test_the_audit_page_filters_as_the_cli_and_names_people_and_clients(idp, console):
    browser, admin = console
    events = idp.services.audit_events
    subject = idp.create_user(name="Grace Hopper")
    client, _ = idp.create_client(name=f"Payroll {uid()}")
    action = f"test.audited_{uid()}"
    events.add(action, user_id=subject.id, client_id=client.client_id, actor=f"user:{admin.id}",
               details={"scopes": ["openid", "email"], "changed": {"name": "x"}, "count": 2, "empty": None})
    events.add(action, user_id=subject.id, actor="cli", details={"note": "by hand"})

    page = browser.go(idp.endpoint(f"/admin/audit?action={action}"))
    assert page.status_code == 200
    shown = rows(page)[1:]
    assert len(shown) == 2
    newest, oldest = shown
    assert "Command line" in newest and "note by hand" in newest
    assert subject.email in oldest and "Grace Hopper" in oldest and client.name in oldest and admin.email in oldest
    assert "scopes openid, email" in oldest and "changed name: x" in oldest and "count 2" in oldest
    assert "empty —" in oldest
    assert "{" not in page.text.split("<tbody>")[1] and "['" not in page.text  # no Python repr

    def by(**query) -> list[str]:
        return rows(browser.go(idp.endpoint("/admin/audit?" + urlencode({"action": action, **query}))))[1:]

    assert len(by(actor="cli")) == 1 and len(by(actor=admin.email)) == 1 and len(by(actor=f"user:{admin.id}")) == 1
    assert len(by(client=client.client_id)) == 1 and len(by(user=subject.email)) == 2
    assert "No event" in " ".join(by(user="nobody@example.com"))
    now = dt.datetime.utcnow()
    assert len(by(since=(now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))) == 2
    assert "No event" in by(until=(now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))[0]
    assert "No event" in by(since=(now + dt.timedelta(days=1)).strftime("%Y-%m-%d"))[0]

    bad = browser.go(idp.endpoint("/admin/audit?" + urlencode({"action": action, "since": "yesterday"})))
    assert bad.status_code == 200 and "is not a date" in bad.text and len(rows(bad)) == 3
