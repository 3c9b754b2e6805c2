"""A version kept in the database (the idp_settings table), for caches of a server whose
ephemeral store is its own memory (the embedded default).

With Redis, every process bumps and reads the shared version key (idp/apis/authorization.py). The
in-process store is seen by one process only: a change made by another process (an `idp groups`
or `idp roles` command beside a running embedded server) would reach that server's cache only
when its entries expired. So the embedded default keeps the version here as well: the writer bumps
it after its change committed, the server reads it (one primary-key lookup) before trusting a
cached answer.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from idp.store.db import Database
from idp.store.models import Setting


class DurableVersion:
    def __init__(self, db: Database, name: str):
        self.db, self.name = db, name

    def get(self) -> str | None:
        with self.db.read() as session:
            return session.scalar(select(Setting.value).where(Setting.name == self.name))

    def bump(self) -> str:
        """A new random value (not a counter: two writers never agree on one by accident)."""
        value = secrets.token_hex(8)
        for _ in range(2):  # the row may appear between the UPDATE and the INSERT (another writer's first bump)
            try:
                with self.db.session() as session:
                    done = session.execute(update(Setting).where(Setting.name == self.name).values(value=value))
                    if done.rowcount == 0:
                        session.add(Setting(name=self.name, value=value))
                return value
            except IntegrityError:
                continue
        return value
