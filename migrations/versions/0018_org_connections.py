"""organizations' enterprise connections (issue 33): an organization's own upstream OpenID Connect
issuer or Google / GitHub / LinkedIn app (its client secret encrypted at rest), which home-realm
discovery sends the users of its verified domains to; and the display name its sign-in pages show

Revision ID: 0018_org_connections
Revises: 0016_orgs
"""
from alembic import op
import sqlalchemy as sa


revision = "0018_org_connections"
down_revision = "0016_orgs"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "organization_connections",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("organization_id", sa.String(36), sa.ForeignKey("organizations.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("label", sa.String(255), nullable=False),
        sa.Column("discovery_url", sa.String(2048)),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("client_secret", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_organization_connections_org", "organization_connections", ["organization_id", "id"])
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(sa.Column("display_name", sa.String(255)))


def downgrade():
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("display_name")
    op.drop_index("ix_organization_connections_org", table_name="organization_connections")
    op.drop_table("organization_connections")
