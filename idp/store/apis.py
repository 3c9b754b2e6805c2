"""Repository for registered APIs, client allowances, groups, roles and assignments (issue 21).

Every write calls `on_change` (the authorization service bumps its shared version key there),
so a change reaches the next token issued on every replica.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError

from idp.store.api_models import Api, ClientApi, Group, GroupMember, Role, RoleAssignment
from idp.store.api_pages import ApiPages
from idp.store.api_views import Allowance, ApiView, Invalid, NotFound, RoleView, check_api_fields, check_identifier
from idp.store.api_views import api_view as _api
from idp.store.api_views import role_view as _role
from idp.store.db import Database
from idp.store.errors import Conflict, StaleVersion
from idp.store.search import matching
from idp.store.models import Client, User

__all__ = ["Allowance", "ApiRegistry", "ApiView", "Invalid", "MAX_GROUP_DEPTH", "NotFound", "RoleView",
           "check_identifier"]

MAX_GROUP_DEPTH = 32  # nesting deeper than this is refused on add and ignored on resolution


class ApiRegistry(ApiPages):
    def __init__(self, db: Database, on_change: Callable[[], None] = lambda: None):
        self.db = db
        self.on_change = on_change

    def _write(self, work):
        try:
            with self.db.session() as session:
                result = work(session)
        except IntegrityError:
            raise Conflict("already exists") from None
        self.on_change()
        return result

    # -- APIs -----------------------------------------------------------------------
    def create_api(self, identifier: str, name: str, scopes: dict | None = None, access_token_ttl: int | None = None,
                   dpop_only: bool = False, role_scopes: list | None = None,
                   resource_server: str | None = None, claim_mappings: list | None = None) -> ApiView:
        check_api_fields(identifier, scopes, role_scopes, access_token_ttl)

        def work(session):
            if resource_server is not None and session.get(Client, resource_server) is None:
                raise NotFound("client", resource_server)
            row = Api(identifier=identifier, name=name, scopes=dict(scopes or {}), access_token_ttl=access_token_ttl,
                      dpop_only=dpop_only, role_scopes=list(role_scopes or []) or None,
                      resource_server=resource_server, claim_mappings=list(claim_mappings or []) or None)
            session.add(row)
            session.flush()
            return _api(row)
        return self._write(work)

    def api(self, identifier: str) -> ApiView | None:
        with self.db.read() as session:
            row = session.scalar(select(Api).where(Api.identifier == identifier))
            return _api(row) if row else None

    def apis(self, after: str = "", limit: int = 100, contains: str | None = None) -> list[ApiView]:
        """Keyset pagination by identifier; `contains`: whose name or identifier holds it."""
        query = select(Api).where(Api.identifier > after).order_by(Api.identifier).limit(limit)
        with self.db.read() as session:
            rows = session.scalars(query.where(matching("apis", contains)) if contains else query)
            return [_api(r) for r in rows]

    def served_by(self, client_id: str) -> set[str]:
        """The identifiers of the APIs that introspect as this client."""
        with self.db.read() as session:
            return set(session.scalars(select(Api.identifier).where(Api.resource_server == client_id)))

    def delete_api(self, identifier: str, version: int | None = None) -> bool:
        """Its roles, their assignments and the client allowances go with it (ON DELETE CASCADE).
        version: only if the row is still at it (StaleVersion otherwise)."""
        def work(session):
            where = [Api.identifier == identifier] + ([Api.version == version] if version is not None else [])
            if session.execute(delete(Api).where(*where)).rowcount == 1:
                return True
            if version is not None and session.scalar(select(Api.id).where(Api.identifier == identifier)):
                raise StaleVersion()
            return False
        return self._write(work)

    def _api_row(self, session, identifier: str) -> Api:
        row = session.scalar(select(Api).where(Api.identifier == identifier))
        if row is None:
            raise NotFound("API", identifier)
        return row

    # -- client allowances --------------------------------------------------------------
    def allow(self, identifier: str, client_id: str, scopes: list | None = None, default: bool = False) -> None:
        def work(session):
            api = self._api_row(session, identifier)
            if session.get(Client, client_id) is None:
                raise NotFound("client", client_id)
            if scopes is not None and not set(scopes) <= set(api.scopes):
                raise Invalid(f"{identifier} does not define {sorted(set(scopes) - set(api.scopes))}")
            if default:
                for other in session.scalars(select(ClientApi).where(ClientApi.client_id == client_id)):
                    other.is_default = False
            row = session.get(ClientApi, (client_id, api.id)) or ClientApi(client_id=client_id, api_id=api.id)
            row.scopes, row.is_default = (list(scopes) if scopes is not None else None), default
            session.add(row)
        self._write(work)

    def allowances(self, client_id: str) -> list[Allowance]:
        with self.db.read() as session:
            rows = session.execute(select(ClientApi, Api.identifier).join(Api, Api.id == ClientApi.api_id)
                                   .where(ClientApi.client_id == client_id)).all()
            return [Allowance(r.api_id, ident, r.scopes, r.is_default, r.client_id) for r, ident in rows]

    # -- groups -------------------------------------------------------------------------
    def create_group(self, name: str, organization_id: str | None = None) -> str:
        """organization_id: a group of that organization (its roles count in its tokens only)."""
        def work(session):
            row = Group(name=name, organization_id=organization_id)
            session.add(row)
            session.flush()
            return row.id
        return self._write(work)

    def groups(self, after: str = "", limit: int = 100, organization: str | None = None,
               contains: str | None = None) -> list[tuple]:
        """(id, name, organization_id) by name; organization: that organization's groups only;
        contains: text the name holds anywhere (admin search, issue 34)."""
        where = [Group.name > after] + ([Group.organization_id == organization] if organization else [])
        if contains:
            where.append(matching("groups", contains))
        with self.db.read() as session:
            return [(r.id, r.name, r.organization_id) for r in session.scalars(
                select(Group).where(*where).order_by(Group.name).limit(limit))]

    def delete_group(self, name: str) -> bool:
        return self._write(lambda s: s.execute(delete(Group).where(Group.name == name)).rowcount == 1)

    def _group_row(self, session, name: str) -> Group:
        row = session.scalar(select(Group).where(Group.name == name))
        if row is None:
            raise NotFound("group", name)
        return row

    def add_member(self, group: str, *, user_id: str | None = None, member_group: str | None = None) -> None:
        """A user or a group into a group; a group that would end up inside itself is refused."""
        def work(session):
            parent = self._group_row(session, group)
            if user_id is not None:
                if session.get(User, user_id) is None:
                    raise NotFound("user", user_id)
                if not session.scalar(select(GroupMember.id).where(GroupMember.group_id == parent.id,
                                                                   GroupMember.user_id == user_id)):
                    session.add(GroupMember(group_id=parent.id, user_id=user_id))
                return
            child = self._group_row(session, member_group)
            if child.id == parent.id or child.id in self._ancestors(session, [parent.id]):
                raise Invalid(f"{member_group} already contains {group}: groups cannot contain themselves")
            if not session.scalar(select(GroupMember.id).where(GroupMember.group_id == parent.id,
                                                               GroupMember.member_group_id == child.id)):
                session.add(GroupMember(group_id=parent.id, member_group_id=child.id))
        self._write(work)

    def remove_member(self, group: str, *, user_id: str | None = None, member_group: str | None = None) -> bool:
        """A user, or a nested group, out of a group; False when it was not a direct member."""
        def work(session):
            parent = self._group_row(session, group)
            if user_id is not None:
                where = GroupMember.user_id == user_id
            else:
                where = GroupMember.member_group_id == self._group_row(session, member_group).id
            return session.execute(delete(GroupMember).where(GroupMember.group_id == parent.id, where)).rowcount > 0
        return self._write(work)

    def set_direct_memberships(self, user_id: str, member_of: set[str], not_member_of: set[str]) -> bool:
        """The user directly in every group of member_of (created when missing) and in none of
        not_member_of, in one transaction (upstream group mapping); True when anything changed."""
        def work(session):
            changed = False
            for name in sorted(member_of):
                row = session.scalar(select(Group).where(Group.name == name))
                if row is None:
                    row = Group(name=name)
                    session.add(row)
                    session.flush()
                if row.organization_id is not None:
                    continue  # an upstream's group names only deployment-wide groups, never a tenant's
                if not session.scalar(select(GroupMember.id).where(GroupMember.group_id == row.id,
                                                                   GroupMember.user_id == user_id)):
                    session.add(GroupMember(group_id=row.id, user_id=user_id))
                    changed = True
            if not_member_of:
                ids = select(Group.id).where(Group.name.in_(sorted(not_member_of)), Group.organization_id.is_(None))
                changed |= session.execute(delete(GroupMember).where(GroupMember.user_id == user_id,
                                                                     GroupMember.group_id.in_(ids))).rowcount > 0
            return changed
        try:
            with self.db.session() as session:
                changed = work(session)
        except IntegrityError:
            raise Conflict("already exists") from None
        if changed:
            self.on_change()
        return changed

    @staticmethod
    def _ancestors(session, group_ids: list[str]) -> set[str]:
        """Every group containing one of group_ids, directly or not: breadth first, one query per level,
        a visited set so a loop (written by hand in the database) cannot make it spin."""
        seen: set[str] = set()
        frontier = set(group_ids)
        for _ in range(MAX_GROUP_DEPTH):
            if not frontier:
                break
            parents = set(session.scalars(select(GroupMember.group_id).where(
                GroupMember.member_group_id.in_(frontier))))
            frontier = parents - seen - set(group_ids)
            seen |= frontier
        return seen

    # -- roles ----------------------------------------------------------------------------
    def create_role(self, identifier: str, name: str, scopes: list, description: str | None = None) -> RoleView:
        def work(session):
            api = self._api_row(session, identifier)
            if not set(scopes) <= set(api.scopes):
                raise Invalid(f"{identifier} does not define {sorted(set(scopes) - set(api.scopes))}")
            row = Role(api_id=api.id, name=name, scopes=list(scopes), description=description)
            session.add(row)
            session.flush()
            return _role(row)
        return self._write(work)

    def roles(self, identifier: str, after: str = "", limit: int | None = None) -> list[RoleView]:
        """By name (uq_roles_api_name); a keyset page when limit is given."""
        with self.db.read() as session:
            query = select(Role).join(Api, Api.id == Role.api_id).where(Api.identifier == identifier,
                                                                        Role.name > after).order_by(Role.name)
            return [_role(r) for r in session.scalars(query.limit(limit) if limit else query)]

    def _role_row(self, session, identifier: str, name: str) -> Role:
        row = session.scalar(select(Role).join(Api, Api.id == Role.api_id).where(Api.identifier == identifier,
                                                                                  Role.name == name))
        if row is None:
            raise NotFound("role", f"{name} for {identifier}")
        return row

    def delete_role(self, identifier: str, name: str) -> bool:
        def work(session):
            row = self._role_row(session, identifier, name)
            session.delete(row)
            return True
        return self._write(work)

    def assign(self, identifier: str, role: str, *, user_id: str | None = None, group: str | None = None) -> None:
        def work(session):
            row = self._role_row(session, identifier, role)
            if user_id is not None:
                if session.get(User, user_id) is None:
                    raise NotFound("user", user_id)
                where = RoleAssignment.user_id == user_id
                new = RoleAssignment(role_id=row.id, user_id=user_id)
            else:
                group_id = self._group_row(session, group).id
                where = RoleAssignment.group_id == group_id
                new = RoleAssignment(role_id=row.id, group_id=group_id)
            if not session.scalar(select(RoleAssignment.id).where(RoleAssignment.role_id == row.id, where)):
                session.add(new)
        self._write(work)

    def unassign(self, identifier: str, role: str, *, user_id: str | None = None, group: str | None = None) -> bool:
        def work(session):
            row = self._role_row(session, identifier, role)
            if user_id is not None:
                where = RoleAssignment.user_id == user_id
            else:
                where = RoleAssignment.group_id == self._group_row(session, group).id
            return session.execute(delete(RoleAssignment).where(RoleAssignment.role_id == row.id, where)).rowcount > 0
        return self._write(work)

    # -- resolution (read by the authorization service, then cached) ----------------------
    def memberships(self, user_id: str, organization: str | None = None) -> tuple[list[str], dict[str, list[RoleView]]]:
        """(the user's group names, direct and inherited; their roles by API identifier).

        organization None: the deployment-wide groups and the roles given to the user directly;
        an organization's id: that organization's groups only and their roles (issue 33). Groups
        nest only within one scope (GroupAdmin refuses the rest), so the ancestors of a scope's
        groups are of that scope too; the filter on the ancestors holds even for rows written by hand."""
        scope = Group.organization_id.is_(None) if organization is None else Group.organization_id == organization
        with self.db.read() as session:
            direct = list(session.scalars(select(GroupMember.group_id).join(Group, Group.id == GroupMember.group_id)
                                          .where(GroupMember.user_id == user_id, scope)))
            found = set(direct) | self._ancestors(session, direct)
            group_ids = set(session.scalars(select(Group.id).where(Group.id.in_(found), scope))) if found else set()
            names = sorted(session.scalars(select(Group.name).where(Group.id.in_(group_ids)))) if group_ids else []
            given = RoleAssignment.group_id.in_(group_ids)
            rows = session.execute(
                select(Role, Api.identifier).join(Api, Api.id == Role.api_id)
                .join(RoleAssignment, RoleAssignment.role_id == Role.id)
                .where(or_(RoleAssignment.user_id == user_id, given) if organization is None else given)).all()
        roles: dict[str, dict[str, RoleView]] = {}
        for role, identifier in rows:
            roles.setdefault(identifier, {})[role.id] = _role(role)
        return names, {k: sorted(v.values(), key=lambda r: r.name) for k, v in roles.items()}
