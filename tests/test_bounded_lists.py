"""`idp users list`, `idp clients list` and `idp audit list` are bounded (--limit) and resumable
(--after, a keyset cursor), streamed page by page (issue 16), on PostgreSQL and SQLite."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import insert

from idp.cli import main, paging
from idp.store.audit_events import AuditEvents
from idp.store.models import AuditEvent, Client, User
from idp.store.users import Users

from .databases import migrated_database

T0 = dt.datetime(2026, 1, 1)
USERS = 1205  # more than two pages of paging.PAGE


@pytest.fixture(scope="module", params=["postgres", "sqlite"])
def seeded(request, tmp_path_factory):
    with migrated_database(request.param, "lists", tmp_path_factory) as (db, url):
        yield seed(db), {"DATABASE_URL": url, "IDP_ENV": "development", "REDIS_URL": ""}


def seed(db):
    # Same created_at for pairs of rows: the id breaks the tie, so no row is skipped or repeated.
    users = [dict(id=f"u{n:05d}", email=f"u{n:05d}@example.com", email_verified=True, disabled=False,
                  created_at=T0 + dt.timedelta(seconds=n // 2), updated_at=T0) for n in range(USERS)]
    clients = [dict(client_id=f"c{n:03d}", name=f"RP {n}", redirect_uris=[], grant_types=["client_credentials"],
                    response_types=[], scope="openid", token_endpoint_auth_method="client_secret_basic",
                    trusted=False, metadata={}, created_at=T0) for n in range(30)]
    events = [dict(occurred_at=T0 + dt.timedelta(seconds=n // 3), action="login.failed" if n % 2 else "login.succeeded",
                   user_id="u00001", details={}) for n in range(900)]
    with db.session() as session:
        session.execute(insert(User), users)
        session.execute(insert(Client), clients)
        session.execute(insert(AuditEvent), events)
    return db


def run(env, *args) -> list[str]:
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_users_list_pages_through_every_user_once_in_order(seeded, monkeypatch):
    db, env = seeded
    pages = []
    original = Users.page_by_age

    def counting(self, limit, after=None):
        pages.append(limit)
        return original(self, limit, after)

    monkeypatch.setattr(Users, "page_by_age", counting)
    everyone = [line.split()[0] for line in run(env, "users", "list")]
    assert everyone == [f"u{n:05d}" for n in range(USERS)]
    assert pages == [paging.PAGE] * 3  # streamed in pages, never the whole table at once


def test_users_list_limit_and_after_resume_where_the_last_page_stopped(seeded):
    db, env = seeded
    first = [line.split()[0] for line in run(env, "users", "list", "--limit", "3")]
    assert first == ["u00000", "u00001", "u00002"]  # u00002 shares u00003's created_at: the id decides
    second = [line.split()[0] for line in run(env, "users", "list", "--limit", "3", "--after", first[-1])]
    assert second == ["u00003", "u00004", "u00005"]
    deep = [line.split()[0] for line in run(env, "users", "list", "--limit", "700", "--after", "u00100")]
    assert deep == [f"u{n:05d}" for n in range(101, 801)]
    assert run(env, "users", "list", "--after", f"u{USERS - 1:05d}") == ["No more users."]  # says so (issue 34)
    assert CliRunner().invoke(main, ["users", "list", "--limit", "0"], env=env).exit_code == 2


def test_clients_list_limit_and_after(seeded):
    db, env = seeded
    first = [line.split()[0] for line in run(env, "clients", "list", "--limit", "10")]
    rest = [line.split()[0] for line in run(env, "clients", "list", "--after", first[-1])]
    assert first + rest == [f"c{n:03d}" for n in range(30)]


def test_audit_list_newest_first_with_a_cursor_and_filters(seeded):
    db, env = seeded
    newest = run(env, "audit", "list", "--user", "u00001", "--limit", "4")
    ids = [int(line.split()[0]) for line in newest]
    assert ids == sorted(ids, reverse=True) and len(ids) == 4
    following = [int(line.split()[0]) for line in run(env, "audit", "list", "--user", "u00001", "--limit", "600",
                                                      "--after", str(ids[-1]))]
    assert len(following) == 600 and following[0] < ids[-1]
    every = AuditEvents(db).list(limit=10_000)
    assert [e.id for e in every[:604]] == ids + following  # nothing skipped across the page boundary
    failed = AuditEvents(db).list(action="login.failed", limit=1000)
    assert len(failed) == 450 and all(e.action == "login.failed" for e in failed)
