"""registered APIs (RFC 8707 resources), client allowances, groups, roles and assignments (issue 21)

Revision ID: 0007
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "apis",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("identifier", sa.String(512), nullable=False, unique=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("access_token_ttl", sa.Integer(), nullable=True),
        sa.Column("dpop_only", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "client_apis",
        sa.Column("client_id", sa.String(64), sa.ForeignKey("clients.client_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("api_id", sa.String(36), sa.ForeignKey("apis.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("scopes", sa.JSON(), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_client_apis_api_id", "client_apis", ["api_id"])
    op.create_table(
        "groups",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "group_members",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("group_id", sa.String(36), sa.ForeignKey("groups.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
        sa.Column("member_group_id", sa.String(36), sa.ForeignKey("groups.id", ondelete="CASCADE"), nullable=True),
    )
    for column in ("group_id", "user_id", "member_group_id"):
        op.create_index(f"ix_group_members_{column}", "group_members", [column])
    op.create_table(
        "roles",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("api_id", sa.String(36), sa.ForeignKey("apis.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.UniqueConstraint("api_id", "name", name="uq_roles_api_name"),
    )
    op.create_index("ix_roles_api_id", "roles", ["api_id"])
    op.create_table(
        "role_assignments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("role_id", sa.String(36), sa.ForeignKey("roles.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
        sa.Column("group_id", sa.String(36), sa.ForeignKey("groups.id", ondelete="CASCADE"), nullable=True),
    )
    for column in ("role_id", "user_id", "group_id"):
        op.create_index(f"ix_role_assignments_{column}", "role_assignments", [column])


def downgrade():
    for table in ("role_assignments", "roles", "group_members", "groups", "client_apis", "apis"):
        op.drop_table(table)
