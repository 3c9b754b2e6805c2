"""Who holds what (issue 34): a user's groups and effective roles with where each comes from, a
group's roles (its own and those of the groups it is inside), and a role's holders, directly or
through groups, a keyset page at a time.

Group nesting is walked breadth first, one query per level, at most MAX_GROUP_DEPTH levels, with a
visited set (a loop written by hand in the database cannot make it spin), as token issuance
resolves it (ApiRegistry.memberships): what these pages show is what the next token carries.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy import select, union

from idp.store.api_models import Api, Group, GroupMember, Role, RoleAssignment
from idp.store.apis import MAX_GROUP_DEPTH
from idp.store.db import Database
from idp.store.models import User


@dataclasses.dataclass(frozen=True)
class GroupHolding:
    """A group a user (or a group) is in; `via`: the names of the groups in between, from the user's
    own group outward (empty: directly)."""

    id: str
    name: str
    via: tuple = ()


@dataclasses.dataclass(frozen=True)
class Source:
    """Where a role comes from: assigned directly (group None), or to `group` (reached via `via`)."""

    group: str | None = None
    group_id: str | None = None
    via: tuple = ()


@dataclasses.dataclass(frozen=True)
class RoleHolding:
    api_id: str
    api: str  # the API's identifier
    api_name: str
    role: str
    scopes: tuple
    sources: tuple  # of Source, direct first


@dataclasses.dataclass(frozen=True)
class Holder:
    """A user who holds a role: `direct` when it is assigned to them, `groups`: the names of the
    groups it is assigned to that they are in (directly or not)."""

    user_id: str
    email: str
    name: str | None
    direct: bool
    groups: tuple


def _walk(session, start: list[str], upward: bool) -> dict[str, tuple[str, ...]]:
    """Every group reachable from `start` (upward: the groups containing them; else: inside them),
    each with the path of group ids from a start group to it (the start groups: their own id)."""
    paths = {group_id: (group_id,) for group_id in start}
    frontier = set(start)
    near, far = (GroupMember.member_group_id, GroupMember.group_id) if upward else \
        (GroupMember.group_id, GroupMember.member_group_id)
    for _ in range(MAX_GROUP_DEPTH):
        if not frontier:
            break
        found = session.execute(select(near, far).where(near.in_(sorted(frontier)), far.is_not(None))
                                .order_by(near, far)).all()
        frontier = set()
        for child, parent in found:
            if parent not in paths:
                paths[parent] = paths[child] + (parent,)
                frontier.add(parent)
    return paths


def _names(session, group_ids) -> dict[str, str]:
    ids = sorted(set(group_ids))
    return {r.id: r.name for r in session.execute(select(Group.id, Group.name).where(Group.id.in_(ids)))} if ids else {}


class RoleHoldings:
    def __init__(self, db: Database):
        self.db = db

    def groups_of_user(self, user_id: str) -> list[GroupHolding]:
        """The user's groups, direct and inherited, by name."""
        with self.db.read() as session:
            direct = list(session.scalars(select(GroupMember.group_id).where(GroupMember.user_id == user_id)))
            paths = _walk(session, direct, upward=True)
            names = _names(session, paths)
        return sorted((GroupHolding(gid, names[gid], tuple(names[p] for p in path[:-1] if p in names))
                       for gid, path in paths.items() if gid in names), key=lambda g: g.name)

    def groups_containing(self, group_id: str) -> list[GroupHolding]:
        """The groups a group is inside, directly or not, by name (the group itself left out)."""
        with self.db.read() as session:
            paths = _walk(session, [group_id], upward=True)
            names = _names(session, paths)
        return sorted((GroupHolding(gid, names[gid], tuple(names[p] for p in path[1:-1] if p in names))
                       for gid, path in paths.items() if gid != group_id and gid in names), key=lambda g: g.name)

    def roles_of_user(self, user_id: str) -> list[RoleHolding]:
        """The user's effective roles (what their next token carries), by API identifier then name."""
        with self.db.read() as session:
            direct = list(session.scalars(select(GroupMember.group_id).where(GroupMember.user_id == user_id)))
            paths = _walk(session, direct, upward=True)
            return self._roles(session, RoleAssignment.user_id == user_id, paths, strip_first=False)

    def roles_of_group(self, group_id: str) -> list[RoleHolding]:
        """The roles a group's members hold through it: its own and those of the groups it is inside."""
        with self.db.read() as session:
            paths = _walk(session, [group_id], upward=True)
            own = {gid: path for gid, path in paths.items() if gid != group_id}
            return self._roles(session, RoleAssignment.group_id == group_id, own, strip_first=True)

    def _roles(self, session, direct_condition, paths: dict, strip_first: bool) -> list[RoleHolding]:
        rows = session.execute(
            select(Role, Api, RoleAssignment.group_id).join(Api, Api.id == Role.api_id)
            .join(RoleAssignment, RoleAssignment.role_id == Role.id)
            .where(direct_condition | RoleAssignment.group_id.in_(sorted(paths)))).all()
        names = _names(session, [gid for path in paths.values() for gid in path])
        found: dict[str, tuple] = {}
        for role, api, group_id in rows:
            if group_id is None or group_id not in paths:
                source = Source()
            else:
                between = paths[group_id][1:-1] if strip_first else paths[group_id][:-1]
                source = Source(names.get(group_id), group_id, tuple(names.get(g, g) for g in between))
            entry = found.setdefault(role.id, (role, api, []))
            entry[2].append(source)
        holdings = [RoleHolding(api.id, api.identifier, api.name, role.name, tuple(role.scopes or ()),
                                tuple(sorted(sources, key=lambda s: (s.group is not None, s.group or ""))))
                    for role, api, sources in found.values()]
        return sorted(holdings, key=lambda h: (h.api, h.role))

    # -- a role's holders -------------------------------------------------------------------
    def role_id(self, api_id: str, name: str) -> str | None:
        with self.db.read() as session:
            return session.scalar(select(Role.id).where(Role.api_id == api_id, Role.name == name))

    def groups_holding(self, role_id: str, after: str = "", limit: int = 100) -> list[tuple[str, str]]:
        """(id, name) of the groups the role is assigned to, by name."""
        with self.db.read() as session:
            return [tuple(r) for r in session.execute(
                select(Group.id, Group.name).join(RoleAssignment, RoleAssignment.group_id == Group.id)
                .where(RoleAssignment.role_id == role_id, Group.name > after).order_by(Group.name).limit(limit))]

    def holders(self, role_id: str, after: str = "", limit: int = 100) -> list[Holder]:
        """The users who hold the role, directly or through a group (nested groups included), by
        user id: each branch reads at most `limit` rows past `after` from its (key, user_id) index."""
        with self.db.lagging_read() as session:
            assigned = list(session.scalars(select(RoleAssignment.group_id).where(
                RoleAssignment.role_id == role_id, RoleAssignment.group_id.is_not(None))))
            paths = _walk(session, assigned, upward=False)  # the groups inside them: their members hold it too
            branches = [select(RoleAssignment.user_id.label("user_id")).where(
                RoleAssignment.role_id == role_id, RoleAssignment.user_id > after)
                .order_by(RoleAssignment.user_id).limit(limit)]
            if paths:
                branches.append(select(GroupMember.user_id.label("user_id")).where(
                    GroupMember.group_id.in_(sorted(paths)), GroupMember.user_id > after)
                    .order_by(GroupMember.user_id).limit(limit))
            ids = union(*(branch.subquery().select() for branch in branches)).subquery()
            users = session.execute(select(User.id, User.email, User.name).join(ids, ids.c.user_id == User.id)
                                    .order_by(User.id).limit(limit)).all()
            page_ids = [u.id for u in users]
            if not page_ids:
                return []
            direct = set(session.scalars(select(RoleAssignment.user_id).where(
                RoleAssignment.role_id == role_id, RoleAssignment.user_id.in_(page_ids))))
            through: dict[str, set] = {}
            if paths:
                for user_id, group_id in session.execute(select(GroupMember.user_id, GroupMember.group_id).where(
                        GroupMember.user_id.in_(page_ids), GroupMember.group_id.in_(sorted(paths)))):
                    through.setdefault(user_id, set()).add(paths[group_id][0])  # the assigned group it leads to
            names = _names(session, [gid for gids in through.values() for gid in gids])
        return [Holder(u.id, u.email, u.name, u.id in direct, tuple(sorted(names[g] for g in through.get(u.id, ())
                                                                          if g in names))) for u in users]
