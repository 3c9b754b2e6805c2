"""admin API (issue 15): who did it (audit_events.actor) and the indexes its keyset pages read

Every list of the admin API pages by a key the index is ordered by, so a page costs the same
on a table of 100 rows or of millions: users by email (COLLATE "C" on PostgreSQL, so that a
prefix search is an index range under any database collation), audit events newest first by
(occurred_at, id) under each filter.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

AUDIT_FILTERS = ("user_id", "client_id", "action", "actor")


def _email(bind):
    return sa.text('email COLLATE "C"') if bind.dialect.name == "postgresql" else "email"


def _lower_name(bind):
    return sa.text('lower(name) COLLATE "C"' if bind.dialect.name == "postgresql" else "lower(name)")


def upgrade():
    bind = op.get_bind()
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("actor", sa.String(128), nullable=True))
        batch.drop_index("ix_audit_events_user_id_occurred_at")
        batch.drop_index("ix_audit_events_occurred_at")
    op.create_index("ix_audit_events_occurred_at_id", "audit_events", ["occurred_at", "id"])
    for column in AUDIT_FILTERS:
        op.create_index(f"ix_audit_events_{column}_occurred_at_id", "audit_events", [column, "occurred_at", "id"])
    if bind.dialect.name == "postgresql":
        op.create_index("ix_users_email_c", "users", [_email(bind)])
    op.create_index("ix_users_disabled_email", "users", ["disabled", _email(bind)])
    op.create_index("ix_users_lower_name", "users", [_lower_name(bind)])


def downgrade():
    bind = op.get_bind()
    op.drop_index("ix_users_lower_name", "users")
    op.drop_index("ix_users_disabled_email", "users")
    if bind.dialect.name == "postgresql":
        op.drop_index("ix_users_email_c", "users")
    for column in AUDIT_FILTERS:
        op.drop_index(f"ix_audit_events_{column}_occurred_at_id", "audit_events")
    op.drop_index("ix_audit_events_occurred_at_id", "audit_events")
    with op.batch_alter_table("audit_events") as batch:
        batch.create_index("ix_audit_events_occurred_at", ["occurred_at"])
        batch.create_index("ix_audit_events_user_id_occurred_at", ["user_id", "occurred_at"])
        batch.drop_column("actor")
