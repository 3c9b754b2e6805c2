"""Issue 30, part 5: /forgot-password does the same thing for a known and an unknown account.

Tested by what the request does, not by timing: the SQL it runs while the asker waits (none, on
either path: the lookup, the link and the mail are handed to accounts/deferred.py), its answer, and
what happens after it (the link and the mail only for the known account, an audit event for both,
with the asker's address). On PostgreSQL + Redis and on the embedded default."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import event, select

from idp.accounts.deferred import THREAD_NAME
from idp.store.models import AuditEvent

from ..conftest import Browser, mail_link
from ..flows import submit


class StatementLog:
    """Every SQL statement the server runs, with the thread that ran it."""

    def __init__(self, db):
        self.engines = {db.engine, db.read_engine, db.replica_engine}
        self.statements: list[tuple[str, str]] = []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append((threading.current_thread().name, statement))

    def __enter__(self):
        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        for engine in self.engines:
            event.remove(engine, "before_cursor_execute", self._record)

    def in_requests(self) -> list[str]:
        return [sql for thread, sql in self.statements if "process_request_thread" in thread]

    def deferred(self) -> list[str]:
        return [sql for thread, sql in self.statements if thread == THREAD_NAME]


def ask_for_reset(idp, email: str):
    browser = Browser(idp)
    page = browser.go(idp.endpoint("/forgot-password"))
    with StatementLog(idp.services.db) as log:
        answer = submit(browser, "/forgot-password", page, email=email)
        assert idp.services.accounts.deferred.wait(10)
    return answer, log


def test_reset_request_does_the_same_work_for_known_and_unknown_accounts_owasp_asvs_2_5_2(idp, mailbox):
    user = idp.create_user()
    stranger = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
    known, known_log = ask_for_reset(idp, user.email)
    unknown, unknown_log = ask_for_reset(idp, stranger)

    assert known.status_code == unknown.status_code == 200
    assert known.text.replace(user.email, "X") == unknown.text.replace(stranger, "X")
    # While the asker waits: the same (no) reads and writes on both paths.
    assert known_log.in_requests() == unknown_log.in_requests() == []

    # After the answer: the link and the mail for the known account only.
    def writes(log, table):
        return [sql for sql in log.deferred() if sql.lstrip().upper().startswith("INSERT INTO " + table.upper())]

    assert writes(known_log, "account_tokens") and writes(known_log, "mail_outbox")
    assert not writes(unknown_log, "account_tokens") and not writes(unknown_log, "mail_outbox")
    assert mail_link(mailbox.wait_for(user.email, "reset"), "/reset-password")
    assert not mailbox.to(stranger)

    with idp.services.db.read() as session:
        events = session.execute(select(AuditEvent.action, AuditEvent.user_id, AuditEvent.ip)
                                 .where(AuditEvent.action.like("password.reset_requested%"))
                                 .order_by(AuditEvent.id.desc()).limit(2)).all()
    assert [(e.action, e.user_id, e.ip) for e in reversed(events)] == [
        ("password.reset_requested", user.id, "127.0.0.1"), ("password.reset_requested_unknown", None, "127.0.0.1")]
