"""purge batches walk (order, key) indexes (issue 16)

A purge batch resumes after the last (timestamp, primary key) the previous one deleted. On an
index of the timestamp alone, rows sharing one timestamp (tokens issued in the same second, a
bulk import's expiry) were scanned again by every batch; the primary key as second column makes
each batch start exactly where the last one stopped.

Revision ID: 0014
Revises: 0012
"""
from alembic import op


revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None

# (new index, table, columns, the single-timestamp index it replaces, that one's columns)
REPLACED = [
    ("ix_refresh_tokens_expires_at_hash", "refresh_tokens", ["expires_at", "token_hash"],
     "ix_refresh_tokens_expires_at", ["expires_at"]),
    ("ix_refresh_tokens_revoked_at_hash", "refresh_tokens", ["revoked_at", "token_hash"],
     "ix_refresh_tokens_revoked_at", ["revoked_at"]),
    ("ix_account_tokens_expires_at_hash", "account_tokens", ["expires_at", "token_hash"],
     "ix_account_tokens_expires_at", ["expires_at"]),
    ("ix_account_tokens_used_at_hash", "account_tokens", ["used_at", "token_hash"],
     "ix_account_tokens_used_at", ["used_at"]),
    ("ix_initial_access_tokens_expires_at_hash", "initial_access_tokens", ["expires_at", "token_hash"],
     "ix_initial_access_tokens_expires_at", ["expires_at"]),
    ("ix_recovery_codes_used_at_id", "recovery_codes", ["used_at", "id"],
     "ix_recovery_codes_used_at", ["used_at"]),
    ("ix_mail_outbox_sent_id", "mail_outbox", ["status", "sent_at", "id"],
     "ix_mail_outbox_sent", ["status", "sent_at"]),
    ("ix_mail_outbox_given_up_id", "mail_outbox", ["status", "give_up_at", "id"],
     "ix_mail_outbox_given_up", ["status", "give_up_at"]),
    ("ix_revocations_expires_at_id", "revocations", ["expires_at", "id"],
     "ix_revocations_expires_at", ["expires_at"]),
]


def _swap(pairs):
    """Create each wanted index, then drop the one it replaces (the new one leads with the same
    column, so no query loses its index in between)."""
    if op.get_bind().dialect.name != "postgresql":
        for create, table, columns, drop in pairs:
            op.create_index(create, table, columns)
            op.drop_index(drop, table_name=table)
        return
    # CONCURRENTLY (outside a transaction): refresh_tokens may hold millions of rows, and a plain
    # CREATE/DROP INDEX would block every sign-in's writes while it works.
    with op.get_context().autocommit_block():
        for create, table, columns, drop in pairs:
            op.create_index(create, table, columns, postgresql_concurrently=True, if_not_exists=True)
            op.drop_index(drop, table_name=table, postgresql_concurrently=True, if_exists=True)


def upgrade():
    _swap([(new, table, columns, old) for new, table, columns, old, _ in REPLACED])


def downgrade():
    _swap([(old, table, old_columns, new) for new, table, _, old, old_columns in reversed(REPLACED)])
