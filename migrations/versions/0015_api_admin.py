"""registered APIs in the admin API (issue 21): a version for ETag / If-Match, and the keyset indexes
its pages read

An API's clients are paged by client_id within the API, a group's members by user_id within the
group; a nested group is looked up by (group_id, member_group_id).

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa


revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_client_apis_api_id_client_id", "client_apis", ["api_id", "client_id"]),
    ("ix_group_members_group_id_user_id", "group_members", ["group_id", "user_id"]),
    ("ix_group_members_group_id_member_group_id", "group_members", ["group_id", "member_group_id"]),
]


def upgrade():
    with op.batch_alter_table("apis") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("apis") as batch:
        batch.drop_column("version")
