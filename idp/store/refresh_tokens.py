"""Refresh-token families (RFC 9700 4.14) and the durable list of revoked tokens."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import func, select, union, update

from idp.plumbing.security import (
    token_hash,
)
from idp.store.db import Database
from idp.store.models import (
    Consent,
    RefreshToken,
    Revocation,
    utcnow,
)


@dataclasses.dataclass(frozen=True)
class RefreshGrant:
    token_hash: str
    family_id: str
    client_id: str
    user_id: str
    scope: str
    auth_time: int
    expires_at: dt.datetime
    rotated: bool
    revoked: bool
    dpop_jkt: str | None = None
    resources: tuple = ()  # RFC 8707: the APIs the grant covers
    organization_id: str | None = None  # issue 33: the organization the grant was made for

    def check_client(self, client):
        return client.client_id == self.client_id

    def get_scope(self):
        return self.scope

    def is_expired(self):
        return self.expires_at <= utcnow()

    def is_revoked(self):
        return self.revoked or self.rotated


def _grant_view(row: RefreshToken) -> RefreshGrant:
    return RefreshGrant(
        token_hash=row.token_hash,
        family_id=row.family_id,
        client_id=row.client_id,
        user_id=row.user_id,
        scope=row.scope,
        auth_time=row.auth_time,
        expires_at=row.expires_at,
        rotated=row.rotated_at is not None,
        revoked=row.revoked_at is not None,
        dpop_jkt=row.dpop_jkt,
        resources=tuple(row.resources or ()),
        organization_id=row.organization_id,
    )


class RefreshTokens:
    def __init__(self, db: Database):
        self.db = db

    def issue(self, value: str, family_id: str, client_id: str, user_id: str, scope: str, auth_time: int, ttl: int,
              dpop_jkt: str | None = None, resources: list | tuple = (), organization_id: str | None = None):
        with self.db.session() as session:
            session.add(
                RefreshToken(
                    token_hash=token_hash(value),
                    family_id=family_id,
                    client_id=client_id,
                    user_id=user_id,
                    scope=scope,
                    auth_time=auth_time,
                    expires_at=utcnow() + dt.timedelta(seconds=ttl),
                    dpop_jkt=dpop_jkt,
                    resources=list(resources) or None,
                    organization_id=organization_id,
                )
            )

    def find(self, value: str) -> RefreshGrant | None:
        with self.db.read() as session:
            row = session.get(RefreshToken, token_hash(value))
            return _grant_view(row) if row else None

    def mark_rotated(self, grant: RefreshGrant) -> bool:
        """Atomically consume a refresh token: True for exactly one concurrent caller."""
        with self.db.session() as session:
            result = session.execute(
                update(RefreshToken)
                .where(
                    RefreshToken.token_hash == grant.token_hash,
                    RefreshToken.rotated_at.is_(None),
                    RefreshToken.revoked_at.is_(None),
                )
                .values(rotated_at=utcnow())
            )
            return result.rowcount == 1

    def active_families(self, user_id: str) -> list[str]:
        """Families of a user with a refresh token neither revoked nor expired: usable ones, and
        those whose last token was rotated (a rotation under way, or a refresh that returned no new
        refresh token), whose access tokens may still be in use."""
        with self.db.session() as session:
            return list(session.scalars(
                select(RefreshToken.family_id).distinct()
                .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None),
                       RefreshToken.expires_at > utcnow())).all())

    def count_grants_of_client(self, client_id: str) -> int:
        """The users who granted this client something still in force: a remembered consent or a
        refresh token still usable (a grant as idp/store/user_grants.py lists them per user)."""
        consented = select(Consent.user_id).where(Consent.client_id == client_id)
        refreshing = select(RefreshToken.user_id).where(
            RefreshToken.client_id == client_id, RefreshToken.revoked_at.is_(None),
            RefreshToken.rotated_at.is_(None), RefreshToken.expires_at > utcnow())
        with self.db.read() as session:
            return session.scalar(select(func.count()).select_from(union(consented, refreshing).subquery()))

    def revoke_user(self, user_id: str) -> None:
        """Revoke every refresh token of a user in one statement (on the user_id index), however many
        grants they hold: `idp users disable` and a password reset stay one round trip."""
        with self.db.session() as session:
            session.execute(update(RefreshToken)
                            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
                            .values(revoked_at=utcnow()))

    def revoke_family(self, family_id: str) -> None:
        with self.db.session() as session:
            session.execute(
                update(RefreshToken)
                .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )


class Revocations:
    """Durable list of revoked access-token jtis and grant ids (the cache lives in Redis)."""

    def __init__(self, db: Database):
        self.db = db

    CHUNK = 1000  # rows per INSERT when revoking many at once

    def add(self, ident: str, kind: str, expires_at: dt.datetime) -> None:
        """Idempotent: concurrent revocations of one grant (a replayed refresh token) all succeed."""
        self.add_many([ident], kind, expires_at)

    def add_many(self, idents: list[str], kind: str, expires_at: dt.datetime) -> None:
        """Idempotent, in one transaction of INSERTs of up to CHUNK rows each."""
        if self.db.is_sqlite:
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        now = utcnow()
        with self.db.session() as session:
            for start in range(0, len(idents), self.CHUNK):
                rows = [dict(id=ident, kind=kind, expires_at=expires_at, created_at=now)
                        for ident in idents[start:start + self.CHUNK]]
                session.execute(insert(Revocation).values(rows).on_conflict_do_nothing(index_elements=["id"]))

    def any_active(self, idents: list[str]) -> bool:
        with self.db.read() as session:
            return session.scalar(select(func.count()).select_from(Revocation).where(
                Revocation.id.in_(idents), Revocation.expires_at > utcnow())) > 0

    def active_page(self, after: str | None, limit: int) -> list[tuple[str, dt.datetime]]:
        """(id, expires_at) of up to `limit` active revocations after id `after`, by primary key:
        the cache rebuild reads a million of them in bounded pages. Expired ones go with the purge
        (idp/store/purge.py)."""
        query = select(Revocation.id, Revocation.expires_at).where(Revocation.expires_at > utcnow())
        if after is not None:
            query = query.where(Revocation.id > after)
        with self.db.read() as session:
            return [tuple(row) for row in session.execute(query.order_by(Revocation.id).limit(limit))]

    def active_pages(self, page: int):
        """Every active revocation, as pages of active_page(): bounded reads, however many there are."""
        after = None
        while True:
            rows = self.active_page(after, page)
            if rows:
                yield rows
            if len(rows) < page:
                return
            after = rows[-1][0]
