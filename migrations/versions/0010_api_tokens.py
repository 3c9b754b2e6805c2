"""APIs in tokens (issue 21): scopes that need a role, the client an API introspects as, and the
resources a refresh-token grant covers (RFC 8707 2.2)

Revision ID: 0010
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("apis", sa.Column("role_scopes", sa.JSON(), nullable=True))
    op.add_column("apis", sa.Column("resource_server", sa.String(64), nullable=True))
    op.create_index("ix_apis_resource_server", "apis", ["resource_server"])
    op.add_column("refresh_tokens", sa.Column("resources", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("refresh_tokens") as batch:
        batch.drop_column("resources")
    op.drop_index("ix_apis_resource_server", "apis")
    with op.batch_alter_table("apis") as batch:
        batch.drop_column("resource_server")
        batch.drop_column("role_scopes")
