"""Repository of organization invitations (issue 33): only the hash of an invitation's token is
kept; accepting one consumes it and makes the membership in ONE transaction, so there is never a
membership without its invitation consumed, nor a consumed invitation without its membership."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from idp.store.db import Database
from idp.store.errors import Conflict
from idp.store.models import User, utcnow
from idp.store.organization_models import OrganizationInvitation, OrganizationMember, OrganizationMemberRole
from idp.store.organizations import ORG_ADMIN, give_roles, role_ids


@dataclasses.dataclass(frozen=True)
class InvitationView:
    id: str
    organization_id: str
    email: str
    roles: tuple  # ((api identifier | None, role name), ...)
    expires_at: dt.datetime
    accepted: bool


def _view(row: OrganizationInvitation) -> InvitationView:
    return InvitationView(row.id, row.organization_id, row.email, tuple(tuple(r) for r in row.roles),
                          row.expires_at, row.accepted_at is not None)


class _Unusable(Exception):
    """The invitation was consumed, expired or revoked meanwhile: undo the transaction."""


class Invitations:
    def __init__(self, db: Database, on_change: Callable[[], None] = lambda: None):
        self.db = db
        self.on_change = on_change  # an accepted invitation changes what the user's tokens say

    def create(self, organization_id: str, email: str, roles: list, token_hash: str, ttl: int) -> InvitationView:
        with self.db.session() as session:
            row = OrganizationInvitation(organization_id=organization_id, email=email,
                                         roles=[list(r) for r in roles], token_hash=token_hash,
                                         expires_at=utcnow() + dt.timedelta(seconds=ttl))
            session.add(row)
            session.flush()
            return _view(row)

    def check_roles(self, roles: list) -> None:
        """LookupError naming a role that does not exist."""
        with self.db.read() as session:
            role_ids(session, roles)

    def page(self, organization_id: str, after: str = "", limit: int = 100) -> list[InvitationView]:
        """Keyset pagination by id."""
        with self.db.read() as session:
            rows = session.scalars(select(OrganizationInvitation).where(
                OrganizationInvitation.organization_id == organization_id, OrganizationInvitation.id > after)
                .order_by(OrganizationInvitation.id).limit(limit))
            return [_view(r) for r in rows]

    def get(self, organization_id: str, invitation_id: str) -> InvitationView | None:
        with self.db.read() as session:
            row = session.get(OrganizationInvitation, invitation_id)
            return _view(row) if row and row.organization_id == organization_id else None

    def by_token_hash(self, token_hash: str) -> InvitationView | None:
        with self.db.read() as session:
            row = session.scalar(select(OrganizationInvitation).where(OrganizationInvitation.token_hash == token_hash))
            return _view(row) if row else None

    def revoke(self, organization_id: str, invitation_id: str) -> bool:
        with self.db.session() as session:
            return session.execute(delete(OrganizationInvitation).where(
                OrganizationInvitation.id == invitation_id,
                OrganizationInvitation.organization_id == organization_id)).rowcount == 1

    def accept(self, token_hash: str, user_id: str) -> InvitationView | None:
        """Consumes the invitation (unexpired, not yet accepted) and makes the user a member with its
        roles, atomically; None when the invitation is unknown, expired or already used (then
        nothing changes). A member already: the invitation's roles are added to theirs."""
        with self.db.session() as session:
            accepted = self._consume(session, token_hash, user_id)
        if accepted is not None:
            self.on_change()
        return accepted

    def accept_as_new_user(self, token_hash: str, email: str, password_hash: str,
                           name: str | None) -> tuple[InvitationView, str] | None:
        """Signing up from the link: the account (its email verified, since the link reached it), the
        invitation consumed and the membership with its roles, in ONE transaction: (the invitation, the
        new user's id), or None when the invitation cannot be used (then no account either). Conflict
        when an account has this email (nothing written)."""
        try:
            with self.db.session() as session:
                user = User(email=email.strip().lower(), password_hash=password_hash, name=name, email_verified=True)
                session.add(user)
                session.flush()
                accepted = self._consume(session, token_hash, user.id)
                if accepted is None:
                    raise _Unusable()  # the whole transaction undone: no account without its membership
                user_id = user.id
        except _Unusable:
            return None
        except IntegrityError:
            raise Conflict(f"a user with email {email} exists") from None
        self.on_change()
        return accepted, user_id

    def _consume(self, session, token_hash: str, user_id: str) -> InvitationView | None:
        """Within the caller's transaction: the invitation taken (unexpired, unused) and the membership made."""
        now = utcnow()
        taken = session.execute(update(OrganizationInvitation).where(
            OrganizationInvitation.token_hash == token_hash, OrganizationInvitation.accepted_at.is_(None),
            OrganizationInvitation.expires_at > now).values(accepted_at=now, accepted_by=user_id))
        if taken.rowcount != 1:
            return None
        row = session.scalar(select(OrganizationInvitation).where(OrganizationInvitation.token_hash == token_hash))
        roles = [tuple(r) for r in row.roles]
        member = session.get(OrganizationMember, (row.organization_id, user_id))
        if member is None:
            member = OrganizationMember(organization_id=row.organization_id, user_id=user_id, is_admin=False)
            session.add(member)
            session.flush()
            held = []
        else:
            held = self._held(session, member)
        give_roles(session, member, list(dict.fromkeys(held + role_ids(session, roles, strict=False))),
                   member.is_admin or (None, ORG_ADMIN) in roles)
        return _view(row)

    @staticmethod
    def _held(session, member: OrganizationMember) -> list[str]:
        return list(session.scalars(select(OrganizationMemberRole.role_id).where(
            OrganizationMemberRole.organization_id == member.organization_id,
            OrganizationMemberRole.user_id == member.user_id)))
