"""Administrators: the users who may enter the web admin console (issue 15).

A durable row per administrator, made by an operator (`idp admins grant`): being signed in
is never enough, the console checks this table on every request so a revocation takes effect
at once on every replica.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import DateTime, ForeignKey, String, delete, exists, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from idp.store.db import Database
from idp.store.models import Base, User, utcnow


class Administrator(Base):
    __tablename__ = "administrators"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    granted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    granted_by: Mapped[str] = mapped_column(String(320), nullable=False)  # "cli" or the granting admin's email


def _enabled_other_administrators(user_id: str):
    """Administrators other than `user_id` whose account is not disabled: who can still enter the console."""
    return (select(Administrator.user_id).join(User, User.id == Administrator.user_id)
            .where(Administrator.user_id != user_id, User.disabled.is_(False)))


def keeps_an_administrator(user_id: str):
    """A SQL condition, for the WHERE of a statement that ends `user_id`'s way into the console
    (disabling or deleting the account, revoking the role): true unless they are an administrator
    and no other enabled administrator exists. Run it after lock_administrators in the same
    transaction, so that the condition and the write are one decision."""
    return or_(~exists().where(Administrator.user_id == user_id), exists(_enabled_other_administrators(user_id)))


def lock_administrators(session: Session) -> set[str]:
    """Lock every administrator row (SELECT … FOR UPDATE) and return their ids: two transactions
    that each end one of the last two administrators are serialised, and the second, in a new
    statement, sees the first's write (READ COMMITTED) and is refused. On SQLite the write
    statement itself takes the database's single writer lock (the caller's first write), so no
    read may come first there: a read would pin a snapshot that a concurrent writer makes stale."""
    if session.get_bind().dialect.name == "sqlite":
        return set()
    return set(session.scalars(select(Administrator.user_id).with_for_update()))


@dataclasses.dataclass(frozen=True)
class AdministratorView:
    user_id: str
    email: str
    granted_at: dt.datetime
    granted_by: str


class Administrators:
    def __init__(self, db: Database):
        self.db = db

    def grant(self, user_id: str, granted_by: str) -> bool:
        """True when the user became an administrator now; False when they already were (idempotent)."""
        if self.db.is_sqlite:
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        statement = insert(Administrator).values(user_id=user_id, granted_at=utcnow(), granted_by=granted_by[:320])
        with self.db.session() as session:
            statement = statement.on_conflict_do_nothing(index_elements=["user_id"]).returning(Administrator.user_id)
            return session.execute(statement).first() is not None  # no row back: it was there already

    def revoke(self, user_id: str) -> bool:
        with self.db.session() as session:
            return session.execute(delete(Administrator).where(Administrator.user_id == user_id)).rowcount == 1

    def revoke_unless_last(self, user_id: str) -> str:
        """"revoked", "absent" (not an administrator) or "last" (no other enabled administrator:
        kept). Serialised with every other end of an administrator (lock_administrators), so two
        administrators revoked or disabled at once cannot both go and leave the console without one."""
        with self.db.session() as session:
            lock_administrators(session)
            removed = session.execute(delete(Administrator).where(
                Administrator.user_id == user_id, exists(_enabled_other_administrators(user_id)))).rowcount
            if removed == 1:
                return "revoked"
            return "last" if session.get(Administrator, user_id) is not None else "absent"

    def get(self, user_id: str) -> AdministratorView | None:
        query = (select(Administrator, User.email).join(User, User.id == Administrator.user_id)
                 .where(Administrator.user_id == user_id))
        with self.db.session() as session:
            found = session.execute(query).first()
            return AdministratorView(found[0].user_id, found[1], found[0].granted_at, found[0].granted_by) \
                if found else None

    def page(self, after: str | None, limit: int) -> list[AdministratorView]:
        """By user id (the primary key: a keyset page)."""
        query = (select(Administrator, User.email).join(User, User.id == Administrator.user_id)
                 .order_by(Administrator.user_id).limit(limit))
        if after is not None:
            query = query.where(Administrator.user_id > after)
        with self.db.session() as session:
            return [AdministratorView(row.user_id, email, row.granted_at, row.granted_by)
                    for row, email in session.execute(query)]

    def is_administrator(self, user_id: str | None) -> bool:
        if not user_id:
            return False
        with self.db.read() as session:
            return session.get(Administrator, user_id) is not None

    def list(self) -> list[AdministratorView]:
        query = (select(Administrator, User.email).join(User, User.id == Administrator.user_id)
                 .order_by(Administrator.granted_at))
        with self.db.session() as session:
            return [AdministratorView(row.user_id, email, row.granted_at, row.granted_by)
                    for row, email in session.execute(query)]
