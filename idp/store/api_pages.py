"""What the administration of registered APIs and groups reads and changes beyond token issuance's
needs (issue 21): an API or group by its id, an API's change and its clients, a group's members.

A mixin of ApiRegistry (idp/store/apis.py), which provides `db`, `_write` and the row lookups.
Every list is a keyset page on an index (migration 0015): `after` the last key of the page before,
at most `limit` rows, so a page costs the same however many rows the table holds.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update

from idp.store.api_models import Api, ClientApi, Group, GroupMember, Role, RoleAssignment
from idp.store.api_views import Allowance, ApiView, Invalid, NotFound, api_view, check_api_fields
from idp.store.errors import StaleVersion
from idp.store.models import Client, User

API_FIELDS = ("identifier", "name", "scopes", "access_token_ttl", "dpop_only", "role_scopes", "resource_server",
              "claim_mappings")


class ApiPages:
    # -- APIs ---------------------------------------------------------------------------
    def api_by_id(self, api_id: str) -> ApiView | None:
        with self.db.read() as session:
            row = session.get(Api, api_id)
            return api_view(row) if row else None

    def update_api(self, api_id: str, version: int, **changes) -> ApiView | None:
        """Change some of API_FIELDS if the row is still at `version` (StaleVersion otherwise, None
        when it is gone). A scope a role of the API still grants cannot be taken away."""
        unknown = set(changes) - set(API_FIELDS)
        if unknown:
            raise TypeError(f"not fields of an API: {sorted(unknown)}")

        def work(session):
            row = session.get(Api, api_id)
            if row is None:
                return None
            if row.version != version:
                raise StaleVersion()
            merged = {name: changes.get(name, getattr(row, name)) for name in API_FIELDS}
            check_api_fields(merged["identifier"], merged["scopes"], merged["role_scopes"],
                             merged["access_token_ttl"])
            server = merged["resource_server"]
            if server is not None and server != row.resource_server and session.get(Client, server) is None:
                raise NotFound("client", server)
            if "scopes" in changes:
                used = set()
                for scopes in session.scalars(select(Role.scopes).where(Role.api_id == api_id)):
                    used |= set(scopes or ())
                if used - set(merged["scopes"] or {}):
                    raise Invalid(f"roles of {row.identifier} grant {sorted(used - set(merged['scopes']))}: "
                                  "change or delete those roles first")
            merged["scopes"] = dict(merged["scopes"] or {})
            merged["role_scopes"] = list(merged["role_scopes"] or []) or None
            merged["claim_mappings"] = list(merged["claim_mappings"] or []) or None
            done = session.execute(update(Api).where(Api.id == api_id, Api.version == version)
                                   .values(**merged, version=version + 1))
            if done.rowcount != 1:  # another writer got in between the read and this update
                raise StaleVersion()
            session.expire(row)
            return api_view(session.get(Api, api_id))
        return self._write(work)

    # -- the clients allowed an API ---------------------------------------------------------
    def disallow(self, identifier: str, client_id: str) -> bool:
        """The client may no longer ask tokens for the API; False when it was not allowed."""
        def work(session):
            api = self._api_row(session, identifier)
            return session.execute(delete(ClientApi).where(ClientApi.api_id == api.id,
                                                           ClientApi.client_id == client_id)).rowcount > 0
        return self._write(work)

    def clients_of(self, api_id: str, after: str = "", limit: int = 100) -> list[Allowance]:
        """The allowances of one API by client_id (ix_client_apis_api_id_client_id)."""
        with self.db.read() as session:
            rows = session.execute(select(ClientApi, Api.identifier).join(Api, Api.id == ClientApi.api_id)
                                   .where(ClientApi.api_id == api_id, ClientApi.client_id > after)
                                   .order_by(ClientApi.client_id).limit(limit)).all()
            return [Allowance(r.api_id, ident, r.scopes, r.is_default, r.client_id) for r, ident in rows]

    # -- groups -------------------------------------------------------------------------
    def group_by_id(self, group_id: str) -> tuple[str, str, str | None] | None:
        """(id, name, organization_id)."""
        with self.db.read() as session:
            row = session.get(Group, group_id)
            return (row.id, row.name, row.organization_id) if row else None

    def group_named(self, name: str) -> tuple[str, str, str | None] | None:
        with self.db.read() as session:
            row = session.scalar(select(Group).where(Group.name == name))
            return (row.id, row.name, row.organization_id) if row else None

    def group_roles(self, group: str) -> list[tuple[str, str]]:
        """(API identifier, role name) of the roles given to a group, sorted."""
        with self.db.read() as session:
            parent = self._group_row(session, group)
            return [tuple(r) for r in session.execute(
                select(Api.identifier, Role.name).join(Role, Role.api_id == Api.id)
                .join(RoleAssignment, RoleAssignment.role_id == Role.id)
                .where(RoleAssignment.group_id == parent.id).order_by(Api.identifier, Role.name))]

    def set_group_roles(self, group: str, roles: list[tuple[str, str]]) -> None:
        """The group's roles become exactly these, in one transaction; NotFound naming a missing role."""
        def work(session):
            parent = self._group_row(session, group)
            ids = list(dict.fromkeys(self._role_row(session, api, name).id for api, name in roles))
            session.execute(delete(RoleAssignment).where(RoleAssignment.group_id == parent.id))
            session.add_all(RoleAssignment(role_id=role_id, group_id=parent.id) for role_id in ids)
        self._write(work)

    def members(self, group: str, after: str = "", limit: int = 100) -> list[tuple[str, str]]:
        """(user_id, email) of the users directly in a group, by user_id (ix_group_members_group_id_user_id)."""
        with self.db.read() as session:
            parent = self._group_row(session, group)
            return [tuple(r) for r in session.execute(
                select(GroupMember.user_id, User.email).join(User, User.id == GroupMember.user_id)
                .where(GroupMember.group_id == parent.id, GroupMember.user_id > after)
                .order_by(GroupMember.user_id).limit(limit))]

    def nested(self, group: str, after: str = "", limit: int = 100) -> list[tuple[str, str]]:
        """(id, name) of the groups directly inside a group, by name (ix_group_members_group_id_member_group_id:
        a group holds few groups, their names are sorted after the lookup)."""
        with self.db.read() as session:
            parent = self._group_row(session, group)
            return [tuple(r) for r in session.execute(
                select(Group.id, Group.name, Group.organization_id)
                .join(GroupMember, GroupMember.member_group_id == Group.id)
                .where(GroupMember.group_id == parent.id, Group.name > after).order_by(Group.name).limit(limit))]
