"""The federated identity table: (provider, upstream subject) -> local user."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from idp.store.db import Database
from idp.store.errors import Conflict
from idp.store.models import FederatedIdentity, User, utcnow
from idp.store.users import UserView, _user_view


@dataclasses.dataclass(frozen=True)
class LinkedIdentity:
    provider: str
    subject: str
    user_id: str
    email: str | None
    created_at: dt.datetime


def _view(row: FederatedIdentity) -> LinkedIdentity:
    return LinkedIdentity(row.provider, row.subject, row.user_id, row.email, row.created_at)


class FederatedIdentities:
    def __init__(self, db: Database):
        self.db = db

    def find(self, provider: str, subject: str) -> LinkedIdentity | None:
        with self.db.session() as session:
            row = session.get(FederatedIdentity, (provider, subject))
            if row is None:
                return None
            row.last_used_at = utcnow()
            return _view(row)

    def link(self, provider: str, subject: str, user_id: str, email: str | None) -> None:
        """Link; Conflict when that upstream account is already linked (to anyone)."""
        try:
            with self.db.session() as session:
                session.add(FederatedIdentity(provider=provider, subject=subject, user_id=user_id, email=email,
                                              last_used_at=utcnow()))
        except IntegrityError:
            raise Conflict(f"{provider} identity already linked") from None

    def create_user(self, provider: str, subject: str, email: str, name: str | None) -> UserView:
        """Just-in-time: the user (verified email, no password) and its identity, in one transaction."""
        try:
            with self.db.session() as session:
                user = User(email=email.strip().lower(), password_hash=None, name=name, email_verified=True)
                session.add(user)
                session.flush()
                session.add(FederatedIdentity(provider=provider, subject=subject, user_id=user.id, email=email,
                                              last_used_at=utcnow()))
                session.flush()
                return _user_view(user)
        except IntegrityError:
            raise Conflict("user or identity exists") from None

    def for_user(self, user_id: str) -> list[LinkedIdentity]:
        with self.db.session() as session:
            rows = session.scalars(select(FederatedIdentity).where(FederatedIdentity.user_id == user_id)
                                   .order_by(FederatedIdentity.created_at)).all()
            return [_view(r) for r in rows]

    def unlink(self, user_id: str, provider: str, subject: str) -> bool:
        """Remove one identity, only if another way to sign in remains (a password or another identity).

        One transaction with the user's row locked, so two concurrent unlinks cannot remove the last two.
        """
        with self.db.session() as session:
            user = session.scalar(select(User).where(User.id == user_id).with_for_update())
            if user is None:
                return False
            others = session.scalar(select(func.count()).select_from(FederatedIdentity).where(
                FederatedIdentity.user_id == user_id,
                (FederatedIdentity.provider != provider) | (FederatedIdentity.subject != subject)))
            if not user.password_hash and not others:
                return False
            return session.execute(delete(FederatedIdentity).where(
                FederatedIdentity.user_id == user_id, FederatedIdentity.provider == provider,
                FederatedIdentity.subject == subject)).rowcount == 1
