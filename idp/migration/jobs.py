"""Import jobs: the admin API's (and the console's) way to run the one writer on an uploaded file.

The upload is spooled to a private temporary file on the replica that received it (bounded by
USER_IMPORT_MAX_BYTES), the job's state row is written, and a thread of that replica runs
`UserImporter.run` over the file, writing counts and per-record errors to the row after every
batch, so any replica can answer how it is going. A replica that stops mid-job leaves it
`running`: `ImportJobService.get` reports a job without progress for STALE_AFTER as failed.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
import threading

from idp.administration.errors import Invalid, NotFound
from idp.migration.readers import FORMATS, read
from idp.migration.writer import ON_CONFLICT, UserImporter
from idp.store.import_jobs import ImportJobs, JobView
from idp.store.models import utcnow

log = logging.getLogger("idp.migration")
CHUNK = 64 * 1024
STALE_AFTER = dt.timedelta(minutes=10)


class TooLarge(Exception):
    """The upload is over the configured limit (the API answers 413)."""


class ImportJobService:
    def __init__(self, svc):
        self.svc, self.jobs = svc, ImportJobs(svc.db)
        self.max_bytes = svc.config.user_import_max_bytes

    def start(self, app, actor: str, fmt: str, options: dict, stream) -> JobView:
        errors = {}
        if fmt not in FORMATS:
            errors["format"] = f"must be one of {', '.join(FORMATS)}"
        if options.get("on_conflict", "skip") not in ON_CONFLICT:
            errors["on_conflict"] = f"must be one of {', '.join(ON_CONFLICT)}"
        if fmt == "keycloak" and options.get("roles_api") is not None and not options["roles_api"]:
            errors["roles_api"] = "must name a registered API"
        if errors:
            raise Invalid(errors)
        path = self._spool(stream)
        job = self.jobs.create(fmt, options, actor)
        threading.Thread(target=self._run, args=(app, job.id, path, fmt, options, actor), daemon=True,
                         name=f"user-import-{job.id[:8]}").start()
        return job

    def get(self, job_id: str) -> JobView:
        job = self.jobs.get(job_id)
        if job is None:
            raise NotFound("user import", job_id)
        if job.state in ("queued", "running") and utcnow() - job.updated_at > STALE_AFTER:
            self.jobs.progress(job.id, "failed", job.counts, message="the replica running it stopped")
            job = self.jobs.get(job_id)
        return job

    def _spool(self, stream) -> str:
        handle = tempfile.NamedTemporaryFile(prefix="idp-import-", delete=False)  # mode 0600
        size = 0
        try:
            with handle:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise TooLarge(f"the file is larger than {self.max_bytes} bytes")
                    handle.write(chunk)
        except BaseException:
            os.unlink(handle.name)
            raise
        if size == 0:
            os.unlink(handle.name)
            raise Invalid({"body": "the file is empty"})
        return handle.name

    def _run(self, app, job_id: str, path: str, fmt: str, options: dict, actor: str) -> None:
        from idp.observability import audit

        importer = UserImporter(self.svc.db, self.svc.config.key_encryption_key, self.svc.users,
                                metadata_max_bytes=self.svc.config.user_metadata_max_bytes)
        try:
            with app.app_context():
                self.jobs.progress(job_id, "running", {})
                report = importer.run(
                    read(path, fmt, options.get("roles_api")), options.get("on_conflict", "skip"),
                    bool(options.get("dry_run")), bool(options.get("allow_weak_hashes")),
                    progress=lambda _n, r: self.jobs.progress(job_id, "running", r.counts()))
                if not options.get("dry_run"):  # recorded before the job says it ended: a reader sees both
                    audit.record("users.imported", actor=actor, format=fmt, job=job_id, counts=report.counts())
                self.jobs.progress(job_id, "succeeded", report.counts(), report.as_dict()["errors"])
        except Exception as exc:  # the job says it failed; the records written before stay written
            log.exception("user import %s failed", job_id)
            self.jobs.progress(job_id, "failed", {}, message=f"{type(exc).__name__}: the import stopped")
        finally:
            os.unlink(path)
