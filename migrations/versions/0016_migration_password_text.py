"""moving in (issue 32): users.password_hash becomes text, since a hash brought from another system
(Firebase's scrypt with its project parameters, a PBKDF2-SHA512 PHC string) can be longer than 255
characters; user_import_jobs holds the admin API's import jobs

Revision ID: 0016_migration
Revises: 0015
"""
import warnings

from alembic import op
import sqlalchemy as sa


revision = "0016_migration"
down_revision = "0015"
branch_labels = None
depends_on = None


def _alter(type_, existing_type):
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("users", "password_hash", type_=type_, existing_type=existing_type, existing_nullable=True)
        return
    # SQLite: a batch copy of the table, which cannot reflect the expression index of 0008 (SQLAlchemy
    # warns, on every first run of the embedded default): the index is made again below.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        with op.batch_alter_table("users") as batch:
            batch.alter_column("password_hash", type_=type_, existing_type=existing_type, existing_nullable=True)
    op.execute("CREATE INDEX IF NOT EXISTS ix_users_lower_name ON users (lower(name))")


def upgrade():
    _alter(sa.Text(), sa.String(255))
    op.create_table(
        "user_import_jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text()),
        sa.Column("actor", sa.String(128)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime()),
    )


def downgrade():
    op.drop_table("user_import_jobs")
    _alter(sa.String(255), sa.Text())
