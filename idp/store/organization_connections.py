"""Repository of organizations' enterprise connections (issue 33) and of what home-realm discovery
reads: the connection of the organization that verified an email's domain.

The client secret is encrypted here, on the way in, under KEY_ENCRYPTION_KEY (the KeyWrapper that
also keeps client_secret_jwt secrets), with the connection's id as associated data, so a secret
copied to another row does not decrypt; views carry it only as `secret()`, for the connector.

A first sign-in through a connection makes the user, its federated identity and its membership of
the organization in ONE transaction (create_member): nothing half-made when any of them fails.
"""

from __future__ import annotations

import base64
import dataclasses
import secrets
from collections.abc import Callable

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from idp.store.db import Database
from idp.store.errors import Conflict, StaleVersion
from idp.store.models import FederatedIdentity, User, utcnow
from idp.store.organization_models import Organization, OrganizationConnection, OrganizationDomain, OrganizationMember
from idp.store.users import UserView, _user_view

ID_PREFIX = "org."  # + 28 hex: 32 characters, the federated identities' provider column


@dataclasses.dataclass(frozen=True)
class ConnectionView:
    id: str
    organization_id: str
    kind: str
    label: str
    discovery_url: str | None
    client_id: str
    version: int
    secret: Callable[[], str] = dataclasses.field(repr=False, compare=False, default=lambda: "")


class OrganizationConnections:
    def __init__(self, db: Database, secret_wrapper, on_change: Callable[[], None] = lambda: None):
        self.db = db
        self.wrapper = secret_wrapper
        self.on_change = on_change  # a membership made by a sign-in changes tokens

    def _seal(self, connection_id: str, secret: str) -> str:
        return base64.b64encode(self.wrapper.wrap(secret.encode(), "org-connection:" + connection_id)).decode()

    def _view(self, row: OrganizationConnection) -> ConnectionView:
        sealed, connection_id = row.client_secret, row.id
        return ConnectionView(row.id, row.organization_id, row.kind, row.label, row.discovery_url, row.client_id,
                              row.version, lambda: self.wrapper.unwrap(base64.b64decode(sealed),
                                                                       "org-connection:" + connection_id).decode())

    def create(self, organization_id: str, kind: str, label: str, client_id: str, client_secret: str,
               discovery_url: str | None = None) -> ConnectionView:
        connection_id = ID_PREFIX + secrets.token_hex(14)
        with self.db.session() as session:
            row = OrganizationConnection(id=connection_id, organization_id=organization_id, kind=kind, label=label,
                                         discovery_url=discovery_url, client_id=client_id, version=1,
                                         client_secret=self._seal(connection_id, client_secret))
            session.add(row)
            session.flush()
            return self._view(row)

    def get(self, connection_id: str) -> ConnectionView | None:
        with self.db.read() as session:
            row = session.get(OrganizationConnection, connection_id)
            return self._view(row) if row else None

    def page(self, organization_id: str, after: str = "", limit: int = 100) -> list[ConnectionView]:
        """Keyset pagination by id (the index is (organization_id, id))."""
        with self.db.read() as session:
            rows = session.scalars(select(OrganizationConnection).where(
                OrganizationConnection.organization_id == organization_id, OrganizationConnection.id > after)
                .order_by(OrganizationConnection.id).limit(limit))
            return [self._view(r) for r in rows]

    def update(self, connection_id: str, version: int, **changes) -> ConnectionView | None:
        """Conditional on the row version (StaleVersion when it moved on); None when it is gone."""
        if "client_secret" in changes:
            changes["client_secret"] = self._seal(connection_id, changes["client_secret"])
        with self.db.session() as session:
            done = session.execute(update(OrganizationConnection).where(
                OrganizationConnection.id == connection_id, OrganizationConnection.version == version)
                .values(**changes, version=version + 1))
            if done.rowcount != 1:
                if session.get(OrganizationConnection, connection_id) is not None:
                    raise StaleVersion()
                return None
            session.expire_all()
            return self._view(session.get(OrganizationConnection, connection_id))

    def delete(self, connection_id: str, version: int) -> bool:
        with self.db.session() as session:
            if session.execute(delete(OrganizationConnection).where(
                    OrganizationConnection.id == connection_id,
                    OrganizationConnection.version == version)).rowcount == 1:
                return True
            if session.get(OrganizationConnection, connection_id) is not None:
                raise StaleVersion()
            return False

    # -- home-realm discovery -------------------------------------------------------------
    def any(self) -> bool:
        """Whether any organization has a connection (the login page then says the password may wait)."""
        with self.db.read() as session:
            return session.scalar(select(OrganizationConnection.id).limit(1)) is not None

    def for_email_domain(self, domain: str) -> ConnectionView | None:
        """The first connection (by id) of the organization that VERIFIED this domain; None for an
        unclaimed or unverified domain, or an organization without a connection. Two indexed reads."""
        with self.db.read() as session:
            organization_id = session.scalar(select(OrganizationDomain.organization_id).where(
                OrganizationDomain.domain == domain, OrganizationDomain.verified_at.is_not(None)))
            if organization_id is None:
                return None
            row = session.scalar(select(OrganizationConnection).where(
                OrganizationConnection.organization_id == organization_id)
                .order_by(OrganizationConnection.id).limit(1))
            return self._view(row) if row else None

    # -- sign-in through a connection -------------------------------------------------------
    def create_member(self, connection: ConnectionView, subject: str, email: str, name: str | None) -> UserView:
        """Just in time: the user (verified email, no password), its identity at the connection and its
        membership of the connection's organization, in one transaction; Conflict when the user or the
        identity exists (a concurrent first sign-in), and then nothing was written."""
        try:
            with self.db.session() as session:
                if session.get(Organization, connection.organization_id) is None:
                    raise Conflict("the organization is gone")
                user = User(email=email.strip().lower(), password_hash=None, name=name, email_verified=True)
                session.add(user)
                session.flush()
                session.add(FederatedIdentity(provider=connection.id, subject=subject, user_id=user.id, email=email,
                                              last_used_at=utcnow()))
                session.add(OrganizationMember(organization_id=connection.organization_id, user_id=user.id,
                                               is_admin=False))
                session.flush()
                view = _user_view(user)
        except IntegrityError:
            raise Conflict("user or identity exists") from None
        self.on_change()
        return view

    def link_member(self, connection_id: str, subject: str, user_id: str, email: str | None,
                    organization_id: str) -> None:
        """An existing account, whose owner just proved it, linked to its identity at the connection and
        made a member of the organization, in one transaction; Conflict (nothing written) when that
        identity is linked already."""
        try:
            with self.db.session() as session:
                session.add(FederatedIdentity(provider=connection_id, subject=subject, user_id=user_id, email=email,
                                              last_used_at=utcnow()))
                if session.get(OrganizationMember, (organization_id, user_id)) is None:
                    session.add(OrganizationMember(organization_id=organization_id, user_id=user_id, is_admin=False))
        except IntegrityError:
            raise Conflict(f"{connection_id} identity already linked") from None
        self.on_change()

    def join(self, organization_id: str, user_id: str) -> bool:
        """The membership of a returning user (False: already a member, nothing written)."""
        try:
            with self.db.session() as session:
                if session.get(OrganizationMember, (organization_id, user_id)) is not None:
                    return False
                session.add(OrganizationMember(organization_id=organization_id, user_id=user_id, is_admin=False))
        except IntegrityError:  # a concurrent sign-in made it, or the organization is gone
            return False
        self.on_change()
        return True
