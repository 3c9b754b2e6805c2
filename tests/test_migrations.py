"""The migrations build the schema the models describe, on PostgreSQL and SQLite, and the newest
one goes down and up again cleanly: a model change without its migration (or the reverse) fails
here instead of in production, where `idp db upgrade` is the only thing that shapes the schema."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import idp.store
from idp.store.migrate import ROOT
from idp.store.models import Base

from .databases import migrated_database

# Users' case-insensitive lookups (migration 0008) index expressions that differ by dialect
# (lower() on SQLite, a "C" collation on PostgreSQL), so they live in the migration alone.
pytestmark = pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
MIGRATION_ONLY = {"ix_users_email_c", "ix_users_disabled_email", "ix_users_lower_name"}


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
