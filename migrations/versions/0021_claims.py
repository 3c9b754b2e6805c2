"""custom claims without code (issue 35, part 2): the users' app_metadata and user_metadata, and the
claim mappings declared on an API (its access tokens) or on a client (its ID tokens and userinfo)

All four are nullable JSON columns (null: none), added without rewriting the tables; dropping them
on SQLite goes through a batch copy.

Revision ID: 0021_claims
Revises: 0016_orgs
"""
from alembic import op
import sqlalchemy as sa


revision = "0021_claims"
down_revision = "0020_webhooks"
branch_labels = None
depends_on = None

COLUMNS = [("users", "app_metadata"), ("users", "user_metadata"), ("apis", "claim_mappings"),
           ("clients", "claim_mappings")]


def upgrade():
    for table, column in COLUMNS:
        op.add_column(table, sa.Column(column, sa.JSON(), nullable=True))


def downgrade():
    for table in ("clients", "apis", "users"):
        with op.batch_alter_table(table) as batch:
            for name, column in reversed(COLUMNS):
                if name == table:
                    batch.drop_column(column)
