"""Groups of users (and of groups), as an administrator manages them: the admin API's /groups and
`idp groups` (issue 21). A group's roles reach its members' next tokens (RFC 9068 2.2.3.1 `groups`
and `roles`); a group never ends up inside itself (the registry refuses the loop).

Every change is audited with its Actor; adding a member twice changes nothing, removing one that
is not there is NotFound. Lists are keyset pages (by name, by user_id).
"""

from __future__ import annotations

import dataclasses

from idp.administration import DEFAULT_LIMIT, Actor, Page, check_limit, check_version, page_of, version_of
from idp.administration.apis import key_after, registry_refusals, searched, storable, text
from idp.administration.errors import Invalid, NotFound
from idp.observability import audit


@dataclasses.dataclass(frozen=True)
class GroupView:
    id: str
    name: str
    organization_id: str | None = None  # a group of that organization (issue 33); None: deployment-wide


def group_version(group: GroupView) -> str:
    """A group's name never changes: its id and name are its version."""
    return version_of("group", group.id, group.name)


def group_document(group: GroupView) -> dict:
    return {"id": group.id, "name": group.name, "organization_id": group.organization_id}


def member_document(member: tuple[str, str]) -> dict:
    return {"user_id": member[0], "email": member[1]}


class GroupAdmin:
    def __init__(self, services):
        self.registry = services.apis
        self.organizations = services.organizations

    def list(self, *, after: list | None = None, limit: int = DEFAULT_LIMIT, organization: str | None = None,
             q: str | None = None) -> Page:
        """By name; `after`: the previous page's next_key ([name]); organization (an id): its groups
        only; `q`: text the name holds."""
        check_limit(limit)
        rows = [GroupView(*row) for row in self.registry.groups(after=key_after(after), limit=limit + 1,
                                                                organization=organization, contains=searched(q))]
        return page_of(rows, limit, lambda group: [group.name])

    def get(self, group_id) -> GroupView:
        findable = isinstance(group_id, str) and len(group_id) <= 64 and storable(group_id)  # NUL: PostgreSQL refuses
        row = self.registry.group_by_id(group_id) if findable else None
        if row is None:
            raise NotFound("group", str(group_id).replace("\0", ""))
        return GroupView(*row)

    def by_name(self, name: str) -> GroupView:
        row = self.registry.group_named(name) if isinstance(name, str) and storable(name) else None
        if row is None:
            raise NotFound("group", str(name).replace("\0", ""))
        return GroupView(*row)

    def create(self, actor: Actor, fields: dict) -> GroupView:
        if not isinstance(fields, dict):
            raise Invalid({"body": "must be a JSON object"})
        errors = {name: "is not a member of this resource" for name in fields if name not in ("name", "organization")}
        text(errors, "name", fields.get("name"))
        organization = self._organization(fields.get("organization"), errors)
        if errors:
            raise Invalid(errors)
        name = fields["name"].strip()
        with registry_refusals("name", ("name", f"a group {name} already exists")):
            group_id = self.registry.create_group(name, organization)
        audit.record("group.created", actor=actor.label, group=name, group_id=group_id, organization_id=organization)
        return GroupView(group_id, name, organization)

    def _organization(self, value, errors: dict) -> str | None:
        """The id of the organization `organization` names (its id or slug); None: deployment-wide."""
        if value is None:
            return None
        found = None
        if isinstance(value, str) and len(value) <= 64 and storable(value):
            found = self.organizations.get(value) or self.organizations.by_slug(value)
        if found is None:
            errors["organization"] = "no organization has this id or slug"
            return None
        return found.id

    def delete(self, actor: Actor, group_id: str, version: str | None = None) -> None:
        """Its memberships and role assignments go with it; tokens already issued keep their
        `groups` until they expire."""
        group = self.get(group_id)
        check_version(version, group_version(group))
        if not self.registry.delete_group(group.name):
            raise NotFound("group", group_id)
        audit.record("group.deleted", actor=actor.label, group=group.name, group_id=group.id)

    # -- members --------------------------------------------------------------------
    def members(self, group_id: str, *, after: list | None = None, limit: int = DEFAULT_LIMIT) -> Page:
        """The users directly in the group, by user_id."""
        check_limit(limit)
        group = self.get(group_id)
        with registry_refusals("group"):
            rows = self.registry.members(group.name, after=key_after(after), limit=limit + 1)
        return page_of(rows, limit, lambda member: [member[0]])

    def nested(self, group_id: str, *, after: list | None = None, limit: int = DEFAULT_LIMIT) -> Page:
        """The groups directly inside the group, by name (`after`: the previous page's next_key, [name])."""
        check_limit(limit)
        group = self.get(group_id)
        with registry_refusals("group"):
            rows = [GroupView(*row) for row in self.registry.nested(group.name, after=key_after(after),
                                                                     limit=limit + 1)]
        return page_of(rows, limit, lambda child: [child.name])

    def add_member(self, actor: Actor, group_id: str, user_id: str) -> None:
        """An organization's group holds only that organization's members (its roles are theirs there)."""
        group = self.get(group_id)
        if group.organization_id is not None and not (
                isinstance(user_id, str) and len(user_id) <= 36 and storable(user_id)
                and self.organizations.is_member(group.organization_id, user_id)):
            raise Invalid({"user_id": "is not a member of the group's organization"})
        with registry_refusals("user_id"):
            self.registry.add_member(group.name, user_id=user_id)
        audit.record("group.member_added", actor=actor.label, user_id=user_id, group=group.name)

    def remove_member(self, actor: Actor, group_id: str, user_id: str) -> None:
        group = self.get(group_id)
        if not self.registry.remove_member(group.name, user_id=user_id):
            raise NotFound("member", user_id, f"user {user_id} is not a direct member of {group.name}")
        audit.record("group.member_removed", actor=actor.label, user_id=user_id, group=group.name)

    def add_group(self, actor: Actor, group_id: str, child_id: str) -> None:
        """The group child_id inside group_id (its members are members of group_id too); Invalid when
        child_id already contains group_id."""
        group, child = self.get(group_id), self.get(child_id)
        if group.organization_id != child.organization_id:
            raise Invalid({"child_id": "groups nest only within one organization, or both deployment-wide"})
        with registry_refusals("child_id"):
            self.registry.add_member(group.name, member_group=child.name)
        audit.record("group.member_added", actor=actor.label, group=group.name, member_group=child.name)

    def remove_group(self, actor: Actor, group_id: str, child_id: str) -> None:
        group, child = self.get(group_id), self.get(child_id)
        with registry_refusals("child_id"):
            removed = self.registry.remove_member(group.name, member_group=child.name)
        if not removed:
            raise NotFound("member", child_id, f"group {child.name} is not directly in {group.name}")
        audit.record("group.member_removed", actor=actor.label, group=group.name, member_group=child.name)
