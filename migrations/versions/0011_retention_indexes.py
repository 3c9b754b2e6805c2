"""indexes the purge and the bounded lists select on (issue 16)

Every purge batch picks rows by an indexed timestamp (expiry, use, revocation, sending, giving up,
occurrence); `idp users/clients/audit list` page by (created_at, id) and (occurred_at, id).

Revision ID: 0011
Revises: 0010

(The (occurred_at, id) keyset indexes of audit events and the clients' (created_at, client_id)
are migration 0008's and 0013's.)
"""
from alembic import op


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_refresh_tokens_expires_at", "refresh_tokens", ["expires_at"]),
    ("ix_refresh_tokens_revoked_at", "refresh_tokens", ["revoked_at"]),
    ("ix_account_tokens_expires_at", "account_tokens", ["expires_at"]),
    ("ix_account_tokens_used_at", "account_tokens", ["used_at"]),
    ("ix_initial_access_tokens_expires_at", "initial_access_tokens", ["expires_at"]),
    ("ix_recovery_codes_used_at", "recovery_codes", ["used_at"]),
    ("ix_mail_outbox_sent", "mail_outbox", ["status", "sent_at"]),
    ("ix_mail_outbox_given_up", "mail_outbox", ["status", "give_up_at"]),
    ("ix_users_created_at_id", "users", ["created_at", "id"]),
]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        for name, table, columns in INDEXES:
            op.create_index(name, table, columns)
        return
    # CONCURRENTLY: refresh_tokens and audit_events may hold millions of rows; a plain CREATE INDEX
    # would block every sign-in's writes while it builds. It cannot run inside a transaction.
    with op.get_context().autocommit_block():
        for name, table, columns in INDEXES:
            op.create_index(name, table, columns, postgresql_concurrently=True, if_not_exists=True)


def downgrade():
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
