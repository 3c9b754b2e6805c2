"""An organization's groups (issue 33), as its administrators manage them: the admin API's
/organizations/{id}/groups, `idp orgs groups …` and the console's organization page.

A group of an organization is an ordinary group (idp/administration/groups.py does the work and the
auditing) carrying the organization's id. The tenancy is checked here first: an actor limited to an
organization finds only that organization (OrganizationAdmin.get) and only its groups; a group of
any other scope is NotFound, exactly as if it did not exist. Its roles count only in the
organization's tokens (idp/apis/authorization.py), and it holds only the organization's members.
"""

from __future__ import annotations

from idp.administration import DEFAULT_LIMIT, Actor, Page, check_limit
from idp.administration.apis import registry_refusals, storable
from idp.administration.errors import Invalid, NotFound
from idp.administration.groups import GroupAdmin, GroupView
from idp.observability import audit
from idp.organizations.admin import OrganizationAdmin


def check_group_roles(roles) -> list[tuple[str, str]]:
    """[{"api": identifier, "name": role}, ...]: a group's roles are API roles only (org:admin is a
    membership's, never a group's)."""
    problem = {"roles": 'an array of {"api": identifier, "name": role}'}
    if not isinstance(roles, list) or len(roles) > 200:
        raise Invalid(problem)
    pairs = []
    for role in roles:
        if not (isinstance(role, dict) and set(role) == {"api", "name"} and all(
                isinstance(role[k], str) and role[k] and len(role[k]) <= 512 and storable(role[k])
                for k in ("api", "name"))):
            raise Invalid(problem)
        pairs.append((role["api"], role["name"]))
    return list(dict.fromkeys(pairs))


class OrganizationGroups:
    def __init__(self, services):
        self.registry = services.apis
        self.admin = OrganizationAdmin(services)
        self.groups = GroupAdmin(services)

    def list(self, actor: Actor, organization_id: str, *, after: list | None = None,
             limit: int = DEFAULT_LIMIT) -> Page:
        check_limit(limit)
        org = self.admin.get(actor, organization_id)
        return self.groups.list(after=after, limit=limit, organization=org.id)

    def get(self, actor: Actor, organization_id: str, group_id) -> GroupView:
        """The organization's group by id or name; any other group is NotFound."""
        org = self.admin.get(actor, organization_id)
        group = None
        for find in (self.groups.get, self.groups.by_name):
            try:
                group = find(group_id)
                break
            except NotFound:
                continue
        if group is None or group.organization_id != org.id:
            raise NotFound("group", str(group_id).replace("\0", ""))
        return group

    def create(self, actor: Actor, organization_id: str, fields) -> GroupView:
        """{"name"}: names are unique in the whole deployment (a taken name is refused: 409)."""
        org = self.admin.get(actor, organization_id)
        if not isinstance(fields, dict):
            raise Invalid({"body": "must be a JSON object"})
        if "organization" in fields:
            raise Invalid({"organization": "is not a member of this resource"})
        return self.groups.create(actor, {**fields, "organization": org.id})

    def delete(self, actor: Actor, organization_id: str, group_id: str) -> None:
        group = self.get(actor, organization_id, group_id)
        self.groups.delete(actor, group.id)

    def members(self, actor: Actor, organization_id: str, group_id: str, *, after: list | None = None,
                limit: int = DEFAULT_LIMIT) -> Page:
        return self.groups.members(self.get(actor, organization_id, group_id).id, after=after, limit=limit)

    def add_member(self, actor: Actor, organization_id: str, group_id: str, user_id) -> None:
        """Only a member of the organization (anyone else is NotFound to a limited actor, as the
        members list would otherwise tell it who exists)."""
        group = self.get(actor, organization_id, group_id)
        try:
            self.groups.add_member(actor, group.id, user_id)
        except Invalid:
            raise NotFound("member", str(user_id), f"user {user_id} is not a member of the organization") from None

    def remove_member(self, actor: Actor, organization_id: str, group_id: str, user_id) -> None:
        group = self.get(actor, organization_id, group_id)
        if not (isinstance(user_id, str) and len(user_id) <= 36 and storable(user_id)):
            raise NotFound("member", str(user_id))
        self.groups.remove_member(actor, group.id, user_id)

    def roles(self, actor: Actor, organization_id: str, group_id: str) -> list[tuple[str, str]]:
        return self.registry.group_roles(self.get(actor, organization_id, group_id).name)

    def set_roles(self, actor: Actor, organization_id: str, group_id: str, roles) -> list[tuple[str, str]]:
        """Replaces the group's roles; each must exist (Invalid naming the one that does not)."""
        pairs = check_group_roles(roles)
        group = self.get(actor, organization_id, group_id)
        with registry_refusals("roles", missing="roles"):
            self.registry.set_group_roles(group.name, pairs)
        audit.record("group.roles_set", actor=actor.label, group=group.name, group_id=group.id,
                     organization_id=group.organization_id, roles=[f"{a}#{n}" for a, n in pairs])
        return self.registry.group_roles(group.name)
