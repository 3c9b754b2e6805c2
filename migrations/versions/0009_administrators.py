"""administrators: who may use the web admin console (issue 15)

Revision ID: 0009
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa


revision = "0009"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "administrators",
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.Column("granted_by", sa.String(320), nullable=False),
    )


def downgrade():
    op.drop_table("administrators")
