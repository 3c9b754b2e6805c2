"""Retention and the purge (issue 16, docs/retention.md), on real PostgreSQL (and SQLite where the
lock differs): every boundary with explicit timestamps (a row one second inside its retention
stays, one second past it goes), batching, two purgers at once, dry runs, AUDIT_RETENTION=0.

RFC 9700 4.14.2: a rotated refresh token must stay while its family lives, since presenting it
again is how reuse is detected."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from click.testing import CliRunner
from prometheus_client import REGISTRY
from sqlalchemy import func, insert, select

from idp.ops.purge_schedule import run_purge
from idp.store.db import Database
from idp.store.models import (
    AccountToken,
    AuditEvent,
    Client,
    InitialAccessToken,
    OutboxMessage,
    RecoveryCode,
    RefreshToken,
    Revocation,
    User,
)
from idp.store.purge import Purge, Retention

from .databases import migrated_database

NOW = dt.datetime(2026, 6, 1, 12, 0, 0)
SECOND = dt.timedelta(seconds=1)
KEEP = Retention(refresh_tokens=7 * 86400, one_time_tokens=86400, mail=3 * 86400, mail_failed=30 * 86400,
                 audit=400 * 86400)


def days(n: float) -> dt.timedelta:
    return dt.timedelta(days=n)


@pytest.fixture(scope="module", params=["postgres", "sqlite"])
def database(request, tmp_path_factory):
    with migrated_database(request.param, "retention", tmp_path_factory) as (db, _):
        yield db


@pytest.fixture
def db(database):
    """An empty schema for each test, with one user and one client to hang rows on."""
    with database.session() as session:
        for table in (RefreshToken, Revocation, AccountToken, InitialAccessToken, RecoveryCode, OutboxMessage,
                      AuditEvent, Client, User):
            session.execute(table.__table__.delete())
        session.execute(insert(User).values(id="u1", email="u1@example.com", email_verified=True, disabled=False,
                                            created_at=NOW, updated_at=NOW))
        session.execute(insert(Client).values(client_id="c1", name="RP", redirect_uris=[], grant_types=[],
                                              response_types=[], scope="openid", token_endpoint_auth_method="none",
                                              trusted=False, metadata={}, created_at=NOW))
    return database


def add(db, model, rows: list[dict]) -> None:
    with db.session() as session:
        session.execute(insert(model), rows)


def keys(db, column) -> set:
    with db.session() as session:
        return set(session.scalars(select(column)))


def refresh_row(name: str, family: str, expires_at, rotated_at=None, revoked_at=None) -> dict:
    return dict(token_hash=name, family_id=family, client_id="c1", user_id="u1", scope="openid", auth_time=0,
                issued_at=NOW - days(30), expires_at=expires_at, rotated_at=rotated_at, revoked_at=revoked_at)


def purge(db, keep=KEEP, **kwargs):
    return Purge(db, keep, batch=kwargs.pop("batch", 1000)).run(now=NOW, **kwargs)


# -- boundaries -------------------------------------------------------------------
def test_refresh_families_go_one_second_after_their_retention_ends_rfc9700_4_14_2(db):
    edge = NOW - days(7)
    add(db, RefreshToken, [
        refresh_row("expired-past", "f1", edge - SECOND),
        refresh_row("expired-inside", "f2", edge + SECOND),
        refresh_row("revoked-past", "f3", NOW + days(1), revoked_at=edge - SECOND),
        refresh_row("revoked-inside", "f4", NOW + days(1), revoked_at=edge + SECOND),
        # A rotated token long expired, in a family that still lives: reuse detection needs it.
        refresh_row("rotated-of-live", "f5", edge - days(30), rotated_at=edge - days(30)),
        refresh_row("live", "f5", NOW + days(1)),
        # A family that ended inside the window keeps its old rotated tokens too.
        refresh_row("rotated-of-recent", "f6", edge - days(30), rotated_at=edge - days(30)),
        refresh_row("last-of-recent", "f6", edge + SECOND),
        # Ended long ago, every token of it.
        refresh_row("rotated-of-ended", "f7", edge - days(30), rotated_at=edge - days(30)),
        refresh_row("last-of-ended", "f7", edge - SECOND),
    ])
    report = purge(db)
    assert keys(db, RefreshToken.token_hash) == {"expired-inside", "revoked-inside", "rotated-of-live", "live",
                                                 "rotated-of-recent", "last-of-recent"}
    assert report.rows["refresh_tokens"] == 4


def test_revocations_go_once_the_token_they_revoke_would_have_expired_rfc7009_2(db):
    add(db, Revocation, [dict(id="jti:past", kind="jti", expires_at=NOW - SECOND, created_at=NOW - days(1)),
                         dict(id="jti:inside", kind="jti", expires_at=NOW + SECOND, created_at=NOW - days(1))])
    purge(db)
    assert keys(db, Revocation.id) == {"jti:inside"}


def test_used_or_expired_one_time_tokens_go_after_one_time_token_retention(db):
    edge = NOW - days(1)
    token = dict(user_id="u1", purpose="reset_password", created_at=NOW - days(3))
    add(db, AccountToken, [
        dict(token, token_hash="expired-past", expires_at=edge - SECOND),
        dict(token, token_hash="expired-inside", expires_at=edge + SECOND),
        dict(token, token_hash="used-past", expires_at=NOW + days(1), used_at=edge - SECOND),
        dict(token, token_hash="used-inside", expires_at=NOW + days(1), used_at=edge + SECOND),
        dict(token, token_hash="unused-valid", expires_at=NOW + SECOND),
    ])
    add(db, InitialAccessToken, [dict(token_hash="iat-past", uses_left=0, expires_at=edge - SECOND, created_at=edge),
                                 dict(token_hash="iat-inside", uses_left=1, expires_at=edge + SECOND, created_at=edge)])
    add(db, RecoveryCode, [dict(id="rc-past", user_id="u1", salt="s", code_hash="h", used_at=edge - SECOND,
                                created_at=edge), dict(id="rc-inside", user_id="u1", salt="s", code_hash="h",
                                                       used_at=edge + SECOND, created_at=edge),
                           dict(id="rc-unused", user_id="u1", salt="s", code_hash="h", created_at=edge - days(9))])
    purge(db)
    assert keys(db, AccountToken.token_hash) == {"expired-inside", "used-inside", "unused-valid"}
    assert keys(db, InitialAccessToken.token_hash) == {"iat-inside"}
    assert keys(db, RecoveryCode.id) == {"rc-inside", "rc-unused"}


def test_sent_mail_goes_after_mail_retention_failed_mail_after_its_own_pending_never(db):
    mail = dict(recipient="a@example.com", subject="s", attempts=1, created_at=NOW - days(60),
                next_attempt_at=NOW - days(60))
    add(db, OutboxMessage, [
        dict(mail, id="sent-past", status="sent", sent_at=NOW - days(3) - SECOND, give_up_at=NOW),
        dict(mail, id="sent-inside", status="sent", sent_at=NOW - days(3) + SECOND, give_up_at=NOW),
        dict(mail, id="failed-past", status="failed", give_up_at=NOW - days(30) - SECOND),
        dict(mail, id="failed-inside", status="failed", give_up_at=NOW - days(30) + SECOND),
        dict(mail, id="pending-old", status="pending", give_up_at=NOW - days(90)),
    ])
    purge(db)
    assert keys(db, OutboxMessage.id) == {"sent-inside", "failed-inside", "pending-old"}


def audit_rows(*moments) -> list[dict]:
    return [dict(occurred_at=moment, action="login.succeeded", user_id="u1", details={}) for moment in moments]


def test_audit_events_go_after_audit_retention(db):
    add(db, AuditEvent, audit_rows(NOW - days(400) - SECOND, NOW - days(400) + SECOND, NOW))
    purge(db)
    assert sorted(keys(db, AuditEvent.occurred_at)) == [NOW - days(400) + SECOND, NOW]


def test_audit_retention_zero_keeps_every_event(db):
    add(db, AuditEvent, audit_rows(NOW - days(4000), NOW - days(401), NOW))
    report = purge(db, Retention(audit=0))
    assert len(keys(db, AuditEvent.id)) == 3 and report.rows["audit_events"] == 0


# -- batches, dry runs, two purgers ---------------------------------------------------
def revocations(n: int, expires_at) -> list[dict]:
    return [dict(id=f"jti:{uuid.uuid4().hex}", kind="jti", expires_at=expires_at, created_at=NOW) for _ in range(n)]


def test_more_rows_than_a_batch_go_in_several_short_batches(db):
    add(db, Revocation, revocations(2500, NOW - days(1)) + revocations(10, NOW + days(1)))
    batches = []
    report = purge(db, batch=1000, on_batch=lambda table, rows: batches.append((table, rows)))
    assert batches == [("revocations", 1000), ("revocations", 1000), ("revocations", 500)]
    assert report.rows["revocations"] == 2500 and len(keys(db, Revocation.id)) == 10


def test_batches_resume_after_the_last_deleted_row_when_thousands_share_one_timestamp(db):
    """Tokens issued in the same second share an expiry. Each batch starts after the (expiry, key)
    the previous one deleted: ties are passed once, not rescanned by every later batch (on
    PostgreSQL the index keeps the deleted rows' entries until vacuum, so a rescan grew with each
    batch). A row added behind the position mid-run waits for the next run; kept rows stay."""
    tied = NOW - days(40)
    add(db, RefreshToken, [refresh_row(f"d{i:04}", f"ended-{i}", tied) for i in range(250)]
        + [refresh_row(f"k{i:04}", "live", tied, rotated_at=tied) for i in range(300)]
        + [refresh_row("live-now", "live", NOW + days(1))])
    late = []

    def add_behind_the_position(table, rows):
        if table == "refresh_tokens" and not late:
            late.append(rows)
            add(db, RefreshToken, [refresh_row("a-late", "ended-late", tied)])

    report = purge(db, batch=100, on_batch=add_behind_the_position)
    left = keys(db, RefreshToken.token_hash)
    assert report.rows["refresh_tokens"] == 250
    assert left == {f"k{i:04}" for i in range(300)} | {"live-now", "a-late"}
    assert purge(db, batch=100).rows["refresh_tokens"] == 1 and "a-late" not in keys(db, RefreshToken.token_hash)


def test_dry_run_deletes_nothing_and_counts_what_a_run_deletes(db):
    add(db, Revocation, revocations(30, NOW - days(1)))
    add(db, AuditEvent, audit_rows(*[NOW - days(500)] * 7))
    dry = purge(db, dry_run=True)
    assert dry.dry_run and len(keys(db, Revocation.id)) == 30 and len(keys(db, AuditEvent.id)) == 7
    real = purge(db)
    assert dry.rows == real.rows and real.rows["revocations"] == 30 and real.rows["audit_events"] == 7


def test_two_purgers_at_once_only_one_runs_and_nothing_is_lost_or_deleted_twice(db):
    add(db, Revocation, revocations(2500, NOW - days(1)))
    first_batch_done, release = threading.Event(), threading.Event()
    results = {}

    def hold_after_first_batch(table, rows):
        first_batch_done.set()
        release.wait(30)

    def first():
        results["first"] = purge(db, batch=1000, on_batch=hold_after_first_batch)

    thread = threading.Thread(target=first)
    thread.start()
    assert first_batch_done.wait(30)
    results["second"] = purge(db, batch=1000)  # while the first holds the lock, mid-run
    release.set()
    thread.join(30)
    assert results["second"] is None
    assert results["first"].rows["revocations"] == 2500 and keys(db, Revocation.id) == set()
    assert purge(db) is not None  # the lock was released


def test_the_lock_is_taken_across_connections_on_postgresql(db):
    if db.is_sqlite:
        pytest.skip("PostgreSQL advisory lock")
    from sqlalchemy import text

    from idp.store.purge import ADVISORY_LOCK_KEY

    other = Database(str(db.engine.url.render_as_string(hide_password=False)))
    try:
        with other.engine.connect() as conn:  # another replica's connection holds it
            assert conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY})
            assert purge(db) is None
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
        assert purge(db) is not None
    finally:
        other.dispose()


# -- operations: metrics, the command --------------------------------------------------
def test_a_run_counts_rows_per_table_and_records_its_success(db):
    add(db, Revocation, revocations(3, dt.datetime(2000, 1, 1)))
    before = REGISTRY.get_sample_value("idp_purge_rows_total", {"table": "revocations"}) or 0
    purger = Purge(db, KEEP)
    report = run_purge(purger)
    assert report.rows["revocations"] == 3
    assert REGISTRY.get_sample_value("idp_purge_rows_total", {"table": "revocations"}) == before + 3
    last = purger.last_success()
    assert last is not None and REGISTRY.get_sample_value("idp_purge_last_success_timestamp_seconds") == last


def test_idp_db_purge_dry_run_then_purge(db):
    from idp.cli import main

    add(db, Revocation, revocations(4, dt.datetime(2000, 1, 1)))
    env = {"DATABASE_URL": db.engine.url.render_as_string(hide_password=False), "IDP_ENV": "development",
           "REDIS_URL": ""}
    runner = CliRunner()
    dry = runner.invoke(main, ["db", "purge", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "revocations              would delete 4" in dry.output and len(keys(db, Revocation.id)) == 4
    real = runner.invoke(main, ["db", "purge", "--batch", "3"], env=env)
    assert real.exit_code == 0 and "revocations              deleted 4" in real.output, real.output
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Revocation)) == 0
    assert runner.invoke(main, ["db", "purge", "--batch", "0"], env=env).exit_code == 2
