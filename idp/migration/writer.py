"""The one writer every import goes through (the CLI today; the admin API job and the console
upload call the same `UserImporter.run`).

Records arrive as a stream and are written in batches: each batch is one transaction holding its
users with all their credentials, links and memberships, so a user is never written without
them. A record that cannot be imported is reported with its position and reason, and the good
records of its batch are still written. Re-running the same file changes nothing under the
default `skip` policy: a record is matched to an existing user by id, then by email.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Iterable

from sqlalchemy.exc import IntegrityError

from idp.accounts.mfa import recovery_hash as _recovery_hash
from idp.accounts.user_metadata import DEFAULT_MAX_BYTES
from idp.migration.records import ImportRecord, RecordError, to_record
from idp.plumbing.encryption import KeyWrapper
from idp.store import user_import as sql
from idp.store.db import Database
from idp.store.models import new_id, utcnow

ON_CONFLICT = ("skip", "update", "fail")
MAX_REPORTED_ERRORS = 1000  # the report stays bounded whatever the file; the count is exact


@dataclasses.dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    dry_run: bool = False

    def error(self, position: int, reason: str) -> None:
        self.failed += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append((position, reason))

    def counts(self) -> dict:
        """The numbers, as a job row, the audit event and the summary hold them."""
        return {"created": self.created, "updated": self.updated, "skipped": self.skipped, "failed": self.failed}

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "skipped": self.skipped, "failed": self.failed,
                "dry_run": self.dry_run, "errors": [{"position": p, "reason": r} for p, r in self.errors]}


class UserImporter:
    def __init__(self, db: Database, key_encryption_key: str, users=None, batch_size: int = 500,
                 metadata_max_bytes: int = DEFAULT_MAX_BYTES):
        self.db, self.wrapper, self.users, self.batch_size = db, KeyWrapper(key_encryption_key), users, batch_size
        self.metadata_max_bytes = metadata_max_bytes  # USER_METADATA_MAX_BYTES, as every other entry checks

    def run(self, items: Iterable[tuple[int, dict | RecordError]], on_conflict: str = "skip", dry_run: bool = False,
            allow_weak: bool = False, progress: Callable[[int, ImportReport], None] | None = None) -> ImportReport:
        if on_conflict not in ON_CONFLICT:
            raise ValueError(f"on_conflict must be one of {', '.join(ON_CONFLICT)}")
        report, batch = ImportReport(dry_run=dry_run), []
        for position, item in items:
            try:
                if isinstance(item, RecordError):
                    raise item
                batch.append((position, to_record(item, allow_weak, self.metadata_max_bytes)))
            except RecordError as exc:
                report.error(position, str(exc))
            if len(batch) >= self.batch_size:
                self._batch(batch, on_conflict, dry_run, report)
                if progress:
                    progress(len(batch), report)
                batch = []
        if batch:
            self._batch(batch, on_conflict, dry_run, report)
            if progress:
                progress(len(batch), report)
        return report

    def _batch(self, batch: list[tuple[int, ImportRecord]], on_conflict: str, dry_run: bool,
               report: ImportReport) -> None:
        """One transaction; if a concurrent writer makes it fail, each record again on its own."""
        try:
            self._write(batch, on_conflict, dry_run, report, atomic_batch=True)
        except (IntegrityError, RecordRefused):
            for one in batch:
                try:
                    self._write([one], on_conflict, dry_run, report, atomic_batch=False)
                except RecordRefused as exc:
                    report.error(exc.position, exc.reason)
                except IntegrityError as exc:
                    report.error(one[0], f"refused by the database: {type(exc.orig).__name__}")

    def _write(self, batch, on_conflict, dry_run, report, atomic_batch: bool) -> None:
        counts = ImportReport()
        changed: list[str] = []
        with self.db.session() as session:
            plan = self._plan(session, batch, on_conflict, counts)
            rows = [self._user_row(rec, uid) for _p, rec, uid, action in plan if action == "create"]
            sql.insert_users(session, rows)
            for _p, rec, uid, action in plan:
                if action == "update":
                    sql.update_user(session, uid, self._user_values(rec))
                    changed.append(uid)
            written = [(p, rec, uid) for p, rec, uid, action in plan if action in ("create", "update")]
            if changed:
                sql.clear_dependents(session, changed)
            self._dependents(session, written, counts)
            if dry_run:
                session.rollback()
        report.created += counts.created
        report.updated += counts.updated
        report.skipped += counts.skipped
        for position, reason in counts.errors:
            report.error(position, reason)
        if self.users is not None and not dry_run:
            for uid in changed:
                self.users._changed(uid)

    def _plan(self, session, batch, on_conflict, counts: ImportReport) -> list:
        """Decide per record: create, update, skip, or an error (duplicates in the batch included)."""
        ids = [rec.id for _p, rec in batch if rec.id]
        found = sql.existing_users(session, ids, [rec.email for _p, rec in batch])
        by_id, by_email = {uid: email for uid, email in found}, {email: uid for uid, email in found}
        seen_ids, seen_emails, plan = set(), set(), []
        for position, rec in batch:
            if rec.email in seen_emails or (rec.id and rec.id in seen_ids):
                counts.error(position, "duplicate of an earlier record in the file (same id or email)")
                continue
            seen_emails.add(rec.email)
            if rec.id:
                seen_ids.add(rec.id)
            existing = rec.id if rec.id in by_id else (by_email.get(rec.email) if not rec.id else None)
            owner = by_email.get(rec.email)
            if owner is not None and owner != (rec.id or owner):
                counts.error(position, f"email {rec.email} belongs to another user ({owner})")
                continue
            if existing is None:
                plan.append((position, rec, rec.id or new_id(), "create"))
                counts.created += 1
            elif on_conflict == "skip":
                counts.skipped += 1
            elif on_conflict == "fail":
                counts.error(position, f"user {existing} exists (--on-conflict fail)")
            else:
                plan.append((position, rec, existing, "update"))
                counts.updated += 1
        return plan

    @staticmethod
    def _user_values(rec: ImportRecord) -> dict:
        return {"email": rec.email, "email_verified": rec.email_verified, "name": rec.name,
                "disabled": rec.disabled, "password_hash": rec.password_hash,
                "app_metadata": rec.app_metadata, "user_metadata": rec.user_metadata}

    def _user_row(self, rec: ImportRecord, uid: str) -> dict:
        now = utcnow()
        return {"id": uid, **self._user_values(rec), "created_at": rec.created_at or now, "updated_at": now}

    def _dependents(self, session, written: list, counts: ImportReport) -> None:
        links = sql.linked_identities(session, [pair for _p, rec, _u in written for pair in rec.identities])
        groups = sql.group_ids(session, {g for _p, rec, _u in written for g in rec.groups}, create=True)
        roles = sql.role_ids(session, {r for _p, rec, _u in written for r in rec.roles})
        totp, codes, identities, members, assignments = [], [], [], [], []
        for position, rec, uid in written:
            taken = [pair for pair in rec.identities if links.get(pair) not in (None, uid)]
            unknown = [f"{api} {role}" for api, role in rec.roles if (api, role) not in roles]
            if taken or unknown:
                # Refused after the user row was planned: the whole batch is redone record by
                # record so this one is reported and the others are written (never half a user).
                reason = (f"identity {taken[0][0]}:{taken[0][1]} is linked to another user" if taken
                          else f"unknown role {unknown[0]} (register the API and role first)")
                raise RecordRefused(position, reason)
            if rec.totp_secret:
                totp.append({"user_id": uid, "secret_encrypted": self.wrapper.wrap(rec.totp_secret.encode(),
                                                                                  "totp:" + uid), "created_at": utcnow()})
            for code in rec.recovery_codes:
                salt = secrets.token_hex(8)
                codes.append({"id": new_id(), "user_id": uid, "salt": salt, "code_hash": _recovery_hash(salt, code)})
            codes.extend({"id": new_id(), "user_id": uid, "salt": s, "code_hash": h} for s, h in rec.recovery_hashes)
            identities.extend({"provider": p, "subject": s, "user_id": uid, "created_at": utcnow()}
                              for p, s in rec.identities)
            members.extend({"id": new_id(), "group_id": groups[g], "user_id": uid} for g in rec.groups)
            assignments.extend({"id": new_id(), "role_id": roles[r], "user_id": uid} for r in rec.roles)
        sql.insert_dependents(session, totp, codes, identities, members, assignments)


class RecordRefused(Exception):
    """A record found wrong only while writing its batch: the batch is rolled back and written again
    record by record, so this one is reported and the others are written."""

    def __init__(self, position: int, reason: str):
        super().__init__(reason)
        self.position, self.reason = position, reason
