"""admin clients (issue 15): a version for optimistic concurrency (ETag / If-Match), the previous
secret kept valid for a grace period after a rotation, and the indexes the admin pages read

clients are paged by (created_at, client_id); a client's active grants are counted from
refresh_tokens by client_id.

Revision ID: 0013
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


revision = "0013"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("previous_secret_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("previous_secret_salt", sa.String(64), nullable=True))
        batch.add_column(sa.Column("previous_secret_expires_at", sa.DateTime(), nullable=True))
    op.create_index("ix_clients_created_at_client_id", "clients", ["created_at", "client_id"])
    op.create_index("ix_refresh_tokens_client_id", "refresh_tokens", ["client_id"])


def downgrade():
    op.drop_index("ix_refresh_tokens_client_id", "refresh_tokens")
    op.drop_index("ix_clients_created_at_client_id", "clients")
    with op.batch_alter_table("clients") as batch:
        for column in ("previous_secret_expires_at", "previous_secret_salt", "previous_secret_hash", "updated_at",
                       "version"):
            batch.drop_column(column)
