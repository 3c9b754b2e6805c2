"""What a user shares with a client: consents, and the pairwise subject each client sees
(OIDC Core 8.1)."""

from __future__ import annotations

from idp.plumbing.security import (
    random_token,
)
from idp.store.db import Database
from idp.store.models import (
    Consent,
    PairwiseSubject,
    Setting,
)


class PairwiseSubjects:
    """Pairwise subjects (OIDC Core 8.1): the salt is generated once and kept in the database,
    so every replica and every restart computes the same sub; issued subs are remembered so
    userinfo can map one back to its user."""

    SALT = "pairwise_salt"

    def __init__(self, db: Database):
        self.db = db
        self._salt: str | None = None
        self._known: set[tuple[str, str]] = set()

    def _insert(self, model, **values):
        if self.db.is_sqlite:
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        with self.db.session() as session:
            session.execute(insert(model).values(**values).on_conflict_do_nothing())

    def salt(self) -> str:
        if self._salt is None:
            self._insert(Setting, name=self.SALT, value=random_token(32))  # the first replica's value wins
            with self.db.session() as session:
                self._salt = session.get(Setting, self.SALT).value
        return self._salt

    def remember(self, sector: str, subject: str, user_id: str) -> None:
        if (sector, subject) not in self._known:
            self._insert(PairwiseSubject, sector=sector, subject=subject, user_id=user_id)
            if len(self._known) > 100_000:
                self._known.clear()
            self._known.add((sector, subject))

    def user_id(self, sector: str, subject: str) -> str | None:
        with self.db.session() as session:
            row = session.get(PairwiseSubject, (sector, subject))
            return row.user_id if row else None


class Consents:
    def __init__(self, db: Database):
        self.db = db

    def covers(self, user_id: str, client_id: str, scopes: set[str]) -> bool:
        with self.db.read() as session:
            row = session.get(Consent, (user_id, client_id))
            return row is not None and scopes.issubset(set(row.scopes))

    def grant(self, user_id: str, client_id: str, scopes: set[str]) -> None:
        with self.db.session() as session:
            row = session.get(Consent, (user_id, client_id))
            if row is None:
                session.add(Consent(user_id=user_id, client_id=client_id, scopes=sorted(scopes)))
            else:
                row.scopes = sorted(set(row.scopes) | scopes)
