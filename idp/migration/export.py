"""`idp users export`: every user in the import's own jsonl schema, so a deployment can be moved,
split or left with what it holds (hashes, second factors, links, groups, roles).

Streamed a keyset page at a time (five queries a page, whatever the table's size). The output
holds secrets (password hashes, TOTP secrets): the CLI writes it with owner-only permissions, and
the audit event names the operator.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from idp.plumbing.encryption import KeyWrapper
from idp.store import user_import as sql
from idp.store.db import Database

PAGE = 500


def export_records(db: Database, key_encryption_key: str, page: int = PAGE) -> Iterator[dict]:
    wrapper, after = KeyWrapper(key_encryption_key), None
    while True:
        with db.lagging_read() as session:
            users = sql.users_after(session, after, page)
            if not users:
                return
            extra = sql.dependents_of(session, [u.id for u in users])
        for user in users:
            more = extra[user.id]
            record = {"id": user.id, "email": user.email, "email_verified": user.email_verified,
                      "disabled": user.disabled, "created_at": user.created_at.isoformat() + "Z"}
            if user.name:
                record["name"] = user.name
            if user.password_hash:
                record["password"] = user.password_hash
            for kind in ("app_metadata", "user_metadata"):  # issue 35
                if getattr(user, kind):
                    record[kind] = getattr(user, kind)
            if more["totp"] is not None:
                record["totp_secret"] = wrapper.unwrap(more["totp"], "totp:" + user.id).decode()
            for field in ("codes", "links", "groups", "roles"):
                if more[field]:
                    record[{"codes": "recovery_codes", "links": "identities"}.get(field, field)] = more[field]
            yield record
        after = (users[-1].created_at, users[-1].id)


def export_lines(db: Database, key_encryption_key: str) -> Iterator[str]:
    for record in export_records(db, key_encryption_key):
        yield json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n"
