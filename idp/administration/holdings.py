"""Who holds what (issue 34), read alike by the console, the admin API and the CLI: a user's groups
and effective roles with where each comes from (assigned directly, or to a group they are in,
directly or through nested groups), a group's roles, and an API role's holders.

A user's or group's roles are few (their assignments and their groups'): they are resolved whole,
as token issuance resolves them, then handed out a page at a time. A role's holders may be
millions (a role given to an "everyone" group): they are a keyset page by user id from the store.
"""

from __future__ import annotations

from idp.administration import DEFAULT_LIMIT, Page, check_limit, page_of
from idp.administration.apis import ApiAdmin, key_after, storable
from idp.administration.errors import Invalid, NotFound
from idp.administration.groups import GroupAdmin, GroupView
from idp.administration.users import UserAdmin
from idp.store.role_holdings import GroupHolding, Holder, RoleHolding, RoleHoldings, Source


def source_document(source: Source) -> dict:
    if source.group is None:
        return {"kind": "direct"}
    return {"kind": "group", "group": source.group, "group_id": source.group_id, "via": list(source.via)}


def role_holding_document(holding: RoleHolding) -> dict:
    return {"api_id": holding.api_id, "api": holding.api, "api_name": holding.api_name, "role": holding.role,
            "scopes": list(holding.scopes), "sources": [source_document(s) for s in holding.sources]}


def group_holding_document(holding: GroupHolding) -> dict:
    return {"id": holding.id, "name": holding.name, "direct": not holding.via, "via": list(holding.via)}


def holder_document(holder: Holder) -> dict:
    return {"user_id": holder.user_id, "email": holder.email, "name": holder.name, "direct": holder.direct,
            "groups": list(holder.groups)}


def _listed(items: list, key, after, limit: int) -> Page:
    """A page of a short list resolved whole (sorted by key, a list of strings)."""
    check_limit(limit)
    if after is not None and not (isinstance(after, list) and all(isinstance(k, str) for k in after)):
        raise Invalid({"cursor": "not a cursor of this list"})
    rest = [item for item in items if after is None or key(item) > after]
    return page_of(rest[:limit + 1], limit, key)


def _role_key(holding: RoleHolding) -> list:
    return [holding.api, holding.role]


class Holdings:
    def __init__(self, services):
        self.store = RoleHoldings(services.db)
        self.users = UserAdmin(services)
        self.groups = GroupAdmin(services)
        self.apis = ApiAdmin(services)

    def user_roles(self, user_id: str, *, after: list | None = None, limit: int = DEFAULT_LIMIT) -> Page:
        """The user's effective roles with their sources, by API identifier then role name."""
        user = self.users.get(user_id)
        return _listed(self.store.roles_of_user(user.id), _role_key, after, limit)

    def user_groups(self, user_id: str, *, after: list | None = None, limit: int = DEFAULT_LIMIT) -> Page:
        """The user's groups, direct and through nesting, by name."""
        user = self.users.get(user_id)
        return _listed(self.store.groups_of_user(user.id), lambda g: [g.name], after, limit)

    def group_roles(self, group_id: str, *, after: list | None = None, limit: int = DEFAULT_LIMIT) -> Page:
        """The roles a group's members hold through it (its own, and those of the groups it is inside)."""
        group = self.groups.get(group_id)
        return _listed(self.store.roles_of_group(group.id), _role_key, after, limit)

    def group_parents(self, group_id: str) -> list[GroupHolding]:
        """The groups this group is inside, directly or not."""
        return self.store.groups_containing(self.groups.get(group_id).id)

    def _role(self, api_id: str, role: str) -> str:
        api = self.apis.get(api_id)
        found = self.store.role_id(api.id, role) if isinstance(role, str) and storable(role) else None
        if found is None:
            raise NotFound("role", f"{api.identifier} {str(role).replace(chr(0), '')}")
        return found

    def role_holders(self, api_id: str, role: str, *, after: list | None = None,
                     limit: int = DEFAULT_LIMIT) -> Page:
        """The users who hold the role (directly, or through which of its groups), by user id."""
        check_limit(limit)
        role_id = self._role(api_id, role)
        rows = self.store.holders(role_id, after=key_after(after), limit=limit + 1)
        return page_of(rows, limit, lambda holder: [holder.user_id])

    def role_groups(self, api_id: str, role: str, *, after: list | None = None,
                    limit: int = DEFAULT_LIMIT) -> Page:
        """The groups the role is assigned to, by name (their members, and their groups', hold it)."""
        check_limit(limit)
        role_id = self._role(api_id, role)
        rows = [GroupView(*row) for row in self.store.groups_holding(role_id, after=key_after(after),
                                                                     limit=limit + 1)]
        return page_of(rows, limit, lambda group: [group.name])
