"""organizations (issue 33): organizations, their members and member roles, email domains, the
clients' organization settings, invitations, and the organization a refresh token's grant was made for

Revision ID: 0016_orgs
Revises: 0016_migration
"""
from alembic import op
import sqlalchemy as sa


revision = "0016_orgs"
down_revision = "0016_migration"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "organizations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("slug", sa.String(63), nullable=False, unique=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("logo_url", sa.String(2048)),
        sa.Column("primary_color", sa.String(7)),
        sa.Column("background_color", sa.String(7)),
        sa.Column("domain_membership", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "organization_members",
        sa.Column("organization_id", sa.String(36), sa.ForeignKey("organizations.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_organization_members_user_id", "organization_members", ["user_id"])
    op.create_table(
        "organization_member_roles",
        sa.Column("organization_id", sa.String(36), sa.ForeignKey("organizations.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("role_id", sa.String(36), sa.ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_index("ix_org_member_roles_member", "organization_member_roles", ["organization_id", "user_id"])
    op.create_index("ix_organization_member_roles_role_id", "organization_member_roles", ["role_id"])
    op.create_table(
        "organization_domains",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(36), sa.ForeignKey("organizations.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("domain", sa.String(253), nullable=False, unique=True),
        sa.Column("verification_token", sa.String(64), nullable=False),
        sa.Column("verified_at", sa.DateTime()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_organization_domains_organization_id", "organization_domains", ["organization_id"])
    op.create_table(
        "client_organizations",
        sa.Column("client_id", sa.String(64), sa.ForeignKey("clients.client_id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("usage", sa.String(8), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("admin_organization", sa.String(36)),
    )
    op.create_index("ix_client_organizations_admin_organization", "client_organizations", ["admin_organization"])
    op.create_table(
        "client_allowed_organizations",
        sa.Column("client_id", sa.String(64), sa.ForeignKey("clients.client_id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("organization_id", sa.String(36), sa.ForeignKey("organizations.id", ondelete="CASCADE"),
                  primary_key=True),
    )
    op.create_index("ix_client_allowed_organizations_organization_id", "client_allowed_organizations",
                    ["organization_id"])
    op.create_table(
        "organization_invitations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(36), sa.ForeignKey("organizations.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime()),
        sa.Column("accepted_by", sa.String(36), sa.ForeignKey("users.id", ondelete="SET NULL")),
    )
    op.create_index("ix_organization_invitations_organization_id", "organization_invitations", ["organization_id"])
    with op.batch_alter_table("refresh_tokens") as batch:
        batch.add_column(sa.Column("organization_id", sa.String(36)))


def downgrade():
    with op.batch_alter_table("refresh_tokens") as batch:
        batch.drop_column("organization_id")
    for table in ("organization_invitations", "client_allowed_organizations", "client_organizations", "organization_domains",
                  "organization_member_roles", "organization_members", "organizations"):
        op.drop_table(table)
