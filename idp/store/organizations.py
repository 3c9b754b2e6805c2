"""Repository of organizations (issue 33): the organizations, their members and the roles each
member holds in one organization, their email domains, and the clients' organization settings.

Every write that changes what a token says (membership, member roles, an organization's name or
its deletion) calls `on_change`, which the authorization service wires to its shared version key,
so the next token on every replica sees the change (idp/apis/authorization.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from idp.store.api_models import Api, Role
from idp.store.db import Database
from idp.store.errors import Conflict, StaleVersion
from idp.store.models import User, utcnow
from idp.store.organization_models import (
    ClientAllowedOrganization,
    ClientOrganizations,
    Organization,
    OrganizationDomain,
    OrganizationMember,
    OrganizationMemberRole,
)

BRANDING = ("logo_url", "primary_color", "background_color", "display_name")
ORG_ADMIN = "org:admin"


@dataclasses.dataclass(frozen=True)
class OrganizationView:
    id: str
    slug: str
    name: str
    logo_url: str | None
    primary_color: str | None
    background_color: str | None
    version: int
    domain_membership: bool = False
    display_name: str | None = None


@dataclasses.dataclass(frozen=True)
class MemberView:
    user_id: str
    email: str
    roles: tuple  # ((api identifier | None, role name), ...); (None, "org:admin") for the built-in one


@dataclasses.dataclass(frozen=True)
class DomainView:
    id: str
    organization_id: str
    domain: str
    verification_token: str
    verified: bool


@dataclasses.dataclass(frozen=True)
class ClientSettings:
    usage: str  # none | allow | require
    allowed: tuple  # organization ids it may sign users in to (when restricted)
    admin_organization: str | None  # an admin API client limited to this organization
    restricted: bool = False  # False: any organization


class NotMember(Exception):
    pass


def _org(row: Organization) -> OrganizationView:
    return OrganizationView(row.id, row.slug, row.name, row.logo_url, row.primary_color, row.background_color,
                            row.version, row.domain_membership, row.display_name)


def _domain(row: OrganizationDomain) -> DomainView:
    return DomainView(row.id, row.organization_id, row.domain, row.verification_token, row.verified_at is not None)


def role_ids(session, roles, strict: bool = True) -> list[str]:
    """The ids of (api identifier, role name) pairs; the built-in (None, org:admin) has none. A role
    that does not exist: LookupError naming it (strict), or left out (an invitation accepted after
    the role was deleted)."""
    found = []
    for identifier, name in roles:
        if identifier is None:
            continue
        role_id = session.scalar(select(Role.id).join(Api, Api.id == Role.api_id)
                                 .where(Api.identifier == identifier, Role.name == name))
        if role_id is None and strict:
            raise LookupError(f"{identifier} has no role {name}")
        if role_id is not None:
            found.append(role_id)
    return list(dict.fromkeys(found))


def give_roles(session, member: OrganizationMember, ids: list[str], admin: bool) -> None:
    """The member's roles become exactly these (within the caller's transaction)."""
    member.is_admin = admin
    session.execute(delete(OrganizationMemberRole).where(
        OrganizationMemberRole.organization_id == member.organization_id,
        OrganizationMemberRole.user_id == member.user_id))
    session.add_all(OrganizationMemberRole(organization_id=member.organization_id, user_id=member.user_id,
                                           role_id=role_id) for role_id in ids)


class Organizations:
    def __init__(self, db: Database, on_change: Callable[[], None] = lambda: None):
        self.db = db
        self.on_change = on_change

    def _write(self, work, changes_tokens: bool = True):
        try:
            with self.db.session() as session:
                result = work(session)
        except IntegrityError:
            raise Conflict("already exists") from None
        if changes_tokens:
            self.db.after_commit(self.on_change)
        return result

    # -- organizations ------------------------------------------------------------------
    def create(self, slug: str, name: str, **branding) -> OrganizationView:
        def work(session):
            row = Organization(slug=slug, name=name, version=1, **branding)
            session.add(row)
            session.flush()
            return _org(row)
        return self._write(work, changes_tokens=False)

    def get(self, organization_id: str) -> OrganizationView | None:
        with self.db.read() as session:
            row = session.get(Organization, organization_id)
            return _org(row) if row else None

    def by_slug(self, slug: str) -> OrganizationView | None:
        with self.db.read() as session:
            row = session.scalar(select(Organization).where(Organization.slug == slug))
            return _org(row) if row else None

    def page(self, after: str = "", limit: int = 100, only: str | None = None,
             search: str | None = None) -> list[OrganizationView]:
        """Keyset pagination by slug; only: that organization alone (a limited administrator's list);
        search: slug or name containing it, case-insensitive (LIKE wildcards in it match themselves).
        A substring cannot use an index: the walk is along the slug index, `limit` matches at a time."""
        where = [Organization.slug > after] + ([Organization.id == only] if only is not None else [])
        if search:
            where.append(or_(Organization.slug.contains(search.lower(), autoescape=True),
                             func.lower(Organization.name).contains(search.lower(), autoescape=True)))
        with self.db.read() as session:
            rows = session.scalars(select(Organization).where(*where).order_by(Organization.slug).limit(limit))
            return [_org(r) for r in rows]

    def update(self, organization_id: str, version: int, **changes) -> OrganizationView | None:
        """Conditional on the row version (StaleVersion when it moved on); None when it is gone."""
        def work(session):
            done = session.execute(update(Organization).where(Organization.id == organization_id,
                                                              Organization.version == version)
                                   .values(**changes, version=version + 1))
            if done.rowcount != 1:
                if session.get(Organization, organization_id) is not None:
                    raise StaleVersion()
                return None
            return _org(session.get(Organization, organization_id))
        return self._write(work, changes_tokens="name" in changes or "slug" in changes)

    def delete(self, organization_id: str, version: int | None = None) -> bool:
        """Its memberships, member roles, domains and client allowances go with it (ON DELETE CASCADE)."""
        def work(session):
            where = [Organization.id == organization_id] + ([Organization.version == version] if version else [])
            if session.execute(delete(Organization).where(*where)).rowcount == 1:
                return True
            if version is not None and session.get(Organization, organization_id) is not None:
                raise StaleVersion()
            return False
        return self._write(work)

    # -- members ------------------------------------------------------------------------
    def add_member(self, organization_id: str, user_id: str) -> bool:
        """False when the user already is a member (nothing changes)."""
        def work(session):
            if session.get(OrganizationMember, (organization_id, user_id)) is not None:
                return False
            session.add(OrganizationMember(organization_id=organization_id, user_id=user_id, is_admin=False))
            return True
        return self._write(work)

    def remove_member(self, organization_id: str, user_id: str) -> bool:
        def work(session):
            session.execute(delete(OrganizationMemberRole).where(OrganizationMemberRole.organization_id == organization_id,
                                                                 OrganizationMemberRole.user_id == user_id))
            return session.execute(delete(OrganizationMember).where(
                OrganizationMember.organization_id == organization_id,
                OrganizationMember.user_id == user_id)).rowcount == 1
        return self._write(work)

    def is_member(self, organization_id: str, user_id: str) -> bool:
        with self.db.read() as session:
            return session.get(OrganizationMember, (organization_id, user_id)) is not None

    def member(self, organization_id: str, user_id: str) -> MemberView | None:
        rows = self.members(organization_id, after="", limit=1, only=user_id)
        return rows[0] if rows else None

    def members(self, organization_id: str, after: str = "", limit: int = 100,
                only: str | None = None) -> list[MemberView]:
        """Keyset pagination by user_id, each member with its roles (one more query for the page)."""
        where = [OrganizationMember.organization_id == organization_id, OrganizationMember.user_id > after]
        if only is not None:
            where.append(OrganizationMember.user_id == only)
        with self.db.read() as session:
            rows = session.execute(select(OrganizationMember.user_id, User.email, OrganizationMember.is_admin)
                                   .join(User, User.id == OrganizationMember.user_id).where(*where)
                                   .order_by(OrganizationMember.user_id).limit(limit)).all()
            roles = self._roles(session, organization_id, [r.user_id for r in rows])
        return [MemberView(r.user_id, r.email, ((None, ORG_ADMIN),) * r.is_admin + tuple(roles.get(r.user_id, ())))
                for r in rows]

    @staticmethod
    def _roles(session, organization_id: str, user_ids: list[str]) -> dict[str, list]:
        if not user_ids:
            return {}
        out: dict[str, list] = {}
        for user_id, identifier, name in session.execute(
                select(OrganizationMemberRole.user_id, Api.identifier, Role.name)
                .join(Role, Role.id == OrganizationMemberRole.role_id).join(Api, Api.id == Role.api_id)
                .where(OrganizationMemberRole.organization_id == organization_id,
                       OrganizationMemberRole.user_id.in_(user_ids))
                .order_by(Api.identifier, Role.name)):
            out.setdefault(user_id, []).append((identifier, name))
        return out

    def organizations_of(self, user_id: str, after: str = "", limit: int = 100) -> list[OrganizationView]:
        """The organizations a user is a member of, by slug (the organization picker)."""
        with self.db.read() as session:
            rows = session.scalars(select(Organization).join(
                OrganizationMember, OrganizationMember.organization_id == Organization.id)
                .where(OrganizationMember.user_id == user_id, Organization.slug > after)
                .order_by(Organization.slug).limit(limit))
            return [_org(r) for r in rows]

    def administered_by(self, user_id: str, limit: int = 100) -> list[OrganizationView]:
        """The organizations in which the user holds org:admin, by slug (the console's delegated
        administrators: ix_organization_members_user_id finds their memberships)."""
        with self.db.read() as session:
            rows = session.scalars(select(Organization).join(
                OrganizationMember, OrganizationMember.organization_id == Organization.id)
                .where(OrganizationMember.user_id == user_id, OrganizationMember.is_admin.is_(True))
                .order_by(Organization.slug).limit(limit))
            return [_org(r) for r in rows]

    def set_roles(self, organization_id: str, user_id: str, roles: list[tuple[str | None, str]]) -> MemberView:
        """Replaces the member's roles: (api identifier, role name) pairs and (None, "org:admin").
        NotMember when the user is not a member; LookupError naming a role that does not exist."""
        def work(session):
            member = session.get(OrganizationMember, (organization_id, user_id), with_for_update=True)
            if member is None:
                raise NotMember(user_id)
            give_roles(session, member, role_ids(session, roles), (None, ORG_ADMIN) in roles)
        self._write(work)
        return self.member(organization_id, user_id)

    def roles_in(self, organization_id: str, user_id: str) -> dict[str, list[dict]] | None:
        """The member's API roles in the organization, by API identifier, as {name, scopes}; None
        when the user is not a member (what token issuance reads, through the authorization cache)."""
        with self.db.read() as session:
            if session.get(OrganizationMember, (organization_id, user_id)) is None:
                return None
            out: dict[str, list[dict]] = {}
            for identifier, name, scopes in session.execute(
                    select(Api.identifier, Role.name, Role.scopes).join(Role, Role.api_id == Api.id)
                    .join(OrganizationMemberRole, OrganizationMemberRole.role_id == Role.id)
                    .where(OrganizationMemberRole.organization_id == organization_id,
                           OrganizationMemberRole.user_id == user_id)):
                out.setdefault(identifier, []).append({"name": name, "scopes": list(scopes or [])})
            return out

    # -- email domains ----------------------------------------------------------------------
    def add_domain(self, organization_id: str, domain: str, token: str) -> DomainView:
        def work(session):
            row = OrganizationDomain(organization_id=organization_id, domain=domain, verification_token=token)
            session.add(row)
            session.flush()
            return _domain(row)
        return self._write(work, changes_tokens=False)

    def domains(self, organization_id: str, after: str = "", limit: int = 100) -> list[DomainView]:
        with self.db.read() as session:
            rows = session.scalars(select(OrganizationDomain).where(
                OrganizationDomain.organization_id == organization_id, OrganizationDomain.domain > after)
                .order_by(OrganizationDomain.domain).limit(limit))
            return [_domain(r) for r in rows]

    def in_verified_domain(self, organization_id: str, email: str) -> bool:
        found = self.domain(organization_id, email.rpartition("@")[2].lower())
        return found is not None and found.verified

    def domain(self, organization_id: str, domain: str) -> DomainView | None:
        with self.db.read() as session:
            row = session.scalar(select(OrganizationDomain).where(OrganizationDomain.organization_id == organization_id,
                                                                  OrganizationDomain.domain == domain))
            return _domain(row) if row else None

    def mark_verified(self, domain_id: str, when: dt.datetime | None = None) -> None:
        self._write(lambda session: session.execute(update(OrganizationDomain).where(OrganizationDomain.id == domain_id)
                                                    .values(verified_at=when or utcnow())), changes_tokens=False)

    def remove_domain(self, organization_id: str, domain: str) -> bool:
        return self._write(lambda session: session.execute(delete(OrganizationDomain).where(
            OrganizationDomain.organization_id == organization_id, OrganizationDomain.domain == domain)).rowcount == 1,
            changes_tokens=False)

    # -- clients' settings (operator only) ----------------------------------------------------------
    def client_settings(self, client_id: str) -> ClientSettings:
        with self.db.read() as session:
            row = session.get(ClientOrganizations, client_id)
            allowed = tuple(session.scalars(select(ClientAllowedOrganization.organization_id)
                                            .where(ClientAllowedOrganization.client_id == client_id)
                                            .order_by(ClientAllowedOrganization.organization_id)))
        return ClientSettings(row.usage if row else "none", allowed, row.admin_organization if row else None,
                              bool(row and row.restricted))

    def set_client_settings(self, client_id: str, *, usage: str | None = None, allowed: list[str] | None = None,
                            admin_organization: str | None = None) -> ClientSettings:
        """Each argument given replaces that setting (allowed=[]: any organization)."""
        def work(session):
            row = session.get(ClientOrganizations, client_id) or ClientOrganizations(client_id=client_id, usage="none")
            if usage is not None:
                row.usage = usage
            if admin_organization is not None:
                row.admin_organization = admin_organization
            session.add(row)
            if allowed is not None:
                row.restricted = bool(allowed)
                session.execute(delete(ClientAllowedOrganization).where(ClientAllowedOrganization.client_id == client_id))
                session.add_all(ClientAllowedOrganization(client_id=client_id, organization_id=org)
                                for org in dict.fromkeys(allowed))
        self._write(work)
        return self.client_settings(client_id)
