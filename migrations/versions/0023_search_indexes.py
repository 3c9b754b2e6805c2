"""substring search indexes for the admin lists (issue 34)

The console, the admin API (?q=) and `idp … list --query` find users, clients, APIs and groups by
any part of their names: `lower(column) LIKE '%text%'`. A B-tree index cannot answer that, so on
PostgreSQL each searched expression gets a pg_trgm GIN index (the planner uses it for LIKE with a
leading wildcard). CREATE EXTENSION needs a role allowed to create it (a superuser, or the
database's owner for a trusted extension since PostgreSQL 13): when it is refused the migration
goes on without those indexes (a search then scans the table, correct but slower) and says so; a
superuser may add them later by hand (docs/admin-api.md, "Searching", lists the statements).
SQLite has no such index: the embedded default scans.

A role's holders are read by (role_id, user_id): ix_role_assignments_role_id_user_id.

Revision ID: 0023_search_indexes
Revises: 0016_orgs
"""
import logging

from alembic import op
import sqlalchemy as sa


revision = "0023_search_indexes"
down_revision = "0021_claims"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

# (index, table, column): each column searched, as lower(column) (idp/store/search.py SEARCHED).
TRIGRAM = [("ix_users_email_trgm", "users", "email"), ("ix_users_name_trgm", "users", "name"),
           ("ix_clients_name_trgm", "clients", "name"), ("ix_clients_client_id_trgm", "clients", "client_id"),
           ("ix_apis_name_trgm", "apis", "name"), ("ix_apis_identifier_trgm", "apis", "identifier"),
           ("ix_groups_name_trgm", "groups", "name")]


def _trigrams(bind) -> bool:
    """pg_trgm is there, or could be installed now."""
    if bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar():
        return True
    try:
        bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as exc:  # not allowed, or not shipped with this PostgreSQL
        log.warning("pg_trgm could not be installed (%s): substring searches of the admin lists will scan their "
                    "tables; docs/admin-api.md (Searching) has the statements a superuser may run to add the indexes",
                    str(exc.orig).strip().splitlines()[0])
        return False
    return True


def upgrade():
    bind = op.get_bind()
    op.create_index("ix_role_assignments_role_id_user_id", "role_assignments", ["role_id", "user_id"])
    if bind.dialect.name != "postgresql":
        return
    # Outside a transaction: a refused CREATE EXTENSION spoils nothing, and CONCURRENTLY keeps sign-ins
    # (which write users) going while a large table is indexed.
    with op.get_context().autocommit_block():
        if not _trigrams(bind):
            return
        for name, table, column in TRIGRAM:
            op.execute(f'CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} '
                       f'USING gin (lower({column}) gin_trgm_ops)')


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            for name, _table, _column in TRIGRAM:
                op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    op.drop_index("ix_role_assignments_role_id_user_id", "role_assignments")
