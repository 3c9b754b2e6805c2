"""User import jobs of the admin API (issue 32): their state lives in the database, so any replica
answers `GET /admin/api/v1/user-imports/{id}` while the one that took the upload runs it."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import JSON, DateTime, String, Text, update
from sqlalchemy.orm import Mapped, mapped_column

from idp.store.db import Database
from idp.store.models import Base, new_id, utcnow


class ImportJob(Base):
    __tablename__ = "user_import_jobs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    state: Mapped[str] = mapped_column(String(16), nullable=False)  # queued | running | succeeded | failed
    format: Mapped[str] = mapped_column(String(16), nullable=False)
    options: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    counts: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    errors: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    message: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


@dataclasses.dataclass(frozen=True)
class JobView:
    id: str
    state: str
    format: str
    options: dict
    counts: dict
    errors: list
    message: str | None
    actor: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    finished_at: dt.datetime | None


def _view(row: ImportJob) -> JobView:
    return JobView(row.id, row.state, row.format, dict(row.options), dict(row.counts), list(row.errors), row.message,
                   row.actor, row.created_at, row.updated_at, row.finished_at)


class ImportJobs:
    def __init__(self, db: Database):
        self.db = db

    def create(self, fmt: str, options: dict, actor: str | None) -> JobView:
        with self.db.session() as session:
            row = ImportJob(state="queued", format=fmt, options=options, counts={}, errors=[], actor=actor)
            session.add(row)
            session.flush()
            return _view(row)

    def get(self, job_id: str) -> JobView | None:
        if "\x00" in job_id:
            return None
        with self.db.session() as session:
            row = session.get(ImportJob, job_id)
            return _view(row) if row else None

    def progress(self, job_id: str, state: str, counts: dict, errors: list | None = None,
                 message: str | None = None) -> None:
        values = {"state": state, "counts": counts, "updated_at": utcnow()}
        if errors is not None:
            values["errors"] = errors
        if message is not None:
            values["message"] = message
        if state in ("succeeded", "failed"):
            values["finished_at"] = utcnow()
        with self.db.session() as session:
            session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))
