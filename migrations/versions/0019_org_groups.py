"""organization-scoped groups (issue 33): a group may belong to one organization; its roles then count
only in that organization's tokens (docs/organizations.md, "Groups of an organization")

Revision ID: 0019_org_groups
Revises: 0016_orgs
"""
from alembic import op
import sqlalchemy as sa


revision = "0019_org_groups"
down_revision = "0018_org_connections"
branch_labels = None
depends_on = None


def upgrade():
    # Batch mode: SQLite cannot add a foreign key to an existing table in place.
    with op.batch_alter_table("groups") as batch:
        batch.add_column(sa.Column("organization_id", sa.String(36)))
        batch.create_foreign_key("fk_groups_organization_id", "organizations", ["organization_id"], ["id"],
                                 ondelete="CASCADE")
        batch.create_index("ix_groups_organization_id", ["organization_id"])


def downgrade():
    with op.batch_alter_table("groups") as batch:
        batch.drop_index("ix_groups_organization_id")
        batch.drop_constraint("fk_groups_organization_id", type_="foreignkey")
        batch.drop_column("organization_id")
