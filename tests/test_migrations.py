"""The migrations build the schema the models describe, on PostgreSQL and SQLite, and the newest
one goes down and up again cleanly: a model change without its migration (or the reverse) fails
here instead of in production, where `idp db upgrade` is the only thing that shapes the schema."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

import idp.store
from idp.store.migrate import ROOT
from idp.store.models import Base

from .databases import migrated_database

# Users' case-insensitive lookups (migration 0008) index expressions that differ by dialect
# (lower() on SQLite, a "C" collation on PostgreSQL), so they live in the migration alone.
pytestmark = pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
MIGRATION_ONLY = {"ix_users_email_c", "ix_users_disabled_email", "ix_users_lower_name"}
# The substring search's pg_trgm indexes (migration 0023) exist only where PostgreSQL has the extension.
MIGRATION_ONLY |= {"ix_users_email_trgm", "ix_users_name_trgm", "ix_clients_name_trgm", "ix_clients_client_id_trgm",
                   "ix_apis_name_trgm", "ix_apis_identifier_trgm", "ix_groups_name_trgm"}


@pytest.fixture(scope="module", params=["postgres", "sqlite"])
def migrated(request, tmp_path_factory):
    for module in pkgutil.iter_modules(idp.store.__path__):  # every model module joins Base.metadata
        importlib.import_module(f"idp.store.{module.name}")
    with migrated_database(request.param, "migrations", tmp_path_factory) as (db, url):
        yield db, url


def differences(db) -> list:
    with db.engine.connect() as conn:
        found = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    return [d for d in found if not (d[0] == "remove_index" and d[1].name in MIGRATION_ONLY)]


def test_the_migrated_schema_is_the_models_schema(migrated):
    db, _ = migrated
    assert differences(db) == []


def test_the_purge_keyset_indexes_go_down_and_up_again(migrated):
    """0014 swaps the single-timestamp purge indexes for (timestamp, key) ones, both ways."""
    db, url = migrated
    cfg = Config()
    cfg.set_main_option("script_location", f"{ROOT}/migrations")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))

    def indexes(table):
        return {index["name"]: index["column_names"] for index in inspect(db.engine).get_indexes(table)}

    command.downgrade(cfg, "0012")
    db.engine.dispose()
    assert indexes("refresh_tokens")["ix_refresh_tokens_expires_at"] == ["expires_at"]
    assert "ix_refresh_tokens_expires_at_hash" not in indexes("refresh_tokens")
    command.upgrade(cfg, "head")
    db.engine.dispose()
    assert indexes("refresh_tokens")["ix_refresh_tokens_expires_at_hash"] == ["expires_at", "token_hash"]
    assert indexes("revocations")["ix_revocations_expires_at_id"] == ["expires_at", "id"]
    assert differences(db) == []


def test_the_search_indexes_answer_a_substring_search_and_go_down_and_up_again(migrated):
    """0023: on PostgreSQL a pg_trgm GIN index per searched column, which LIKE '%text%' can use (the
    planner picks it over a scan once scans are priced out: the index applies); both ways."""
    db, url = migrated
    cfg = Config()
    cfg.set_main_option("script_location", f"{ROOT}/migrations")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    postgres = db.engine.dialect.name == "postgresql"
    if postgres:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = "\n".join(r[0] for r in conn.execute(
                text("EXPLAIN SELECT id FROM groups WHERE lower(name) LIKE :pattern"), {"pattern": "%ops-team%"}))
        assert "ix_groups_name_trgm" in plan, plan
    command.downgrade(cfg, "0016_orgs")
    db.engine.dispose()
    assert "ix_role_assignments_role_id_user_id" not in {i["name"] for i in inspect(db.engine).get_indexes(
        "role_assignments")}
    command.upgrade(cfg, "head")
    db.engine.dispose()
    assert differences(db) == []
    if postgres:
        with db.engine.connect() as conn:
            names = {r[0] for r in conn.execute(text("SELECT indexname FROM pg_indexes WHERE indexname LIKE :end"),
                                                {"end": "%\\_trgm"})}
        assert names == MIGRATION_ONLY - {"ix_users_email_c", "ix_users_disabled_email", "ix_users_lower_name"}


def test_without_pg_trgm_the_search_migration_goes_on_and_says_so(caplog):
    """0023 where CREATE EXTENSION is refused (not a superuser, or no contrib package): no trigram index,
    a warning that says where the by-hand statements are, and no failed migration."""
    import sqlalchemy as sa

    spec = importlib.util.spec_from_file_location("m0023", f"{ROOT}/migrations/versions/0023_search_indexes.py")
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)

    class Refusing:
        """A PostgreSQL connection whose role may not create extensions."""

        def execute(self, statement):
            if "CREATE EXTENSION" in str(statement):
                raise sa.exc.ProgrammingError(str(statement), {}, Exception("permission denied to create extension"))
            return type("Result", (), {"scalar": lambda self: None})()

    assert migration._trigrams(Refusing()) is False
    assert "pg_trgm could not be installed (permission denied to create extension)" in caplog.text
