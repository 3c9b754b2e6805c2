"""The SQL of a user import and export: a batch at a time, a few statements per batch.

A batch of records costs one look-up of the ids and emails it names, one of its upstream links,
and one multi-row INSERT per table: the import's cost grows with the file, never with the table.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, insert, or_, select, tuple_, update
from sqlalchemy.orm import Session

from idp.store.api_models import Api, Group, GroupMember, Role, RoleAssignment
from idp.store.models import FederatedIdentity, RecoveryCode, TotpCredential, User, new_id, utcnow


def existing_users(session: Session, ids: list[str], emails: list[str]) -> list[tuple[str, str]]:
    """(id, email) of the users holding any of these ids or emails."""
    clauses = [User.id.in_(ids)] if ids else []
    if emails:
        clauses.append(User.email.in_(emails))
    if not clauses:
        return []
    return [(row.id, row.email) for row in session.execute(select(User.id, User.email).where(or_(*clauses)))]


def linked_identities(session: Session, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(provider, subject) -> the user it is linked to, for the pairs that are linked."""
    if not pairs:
        return {}
    query = select(FederatedIdentity.provider, FederatedIdentity.subject, FederatedIdentity.user_id).where(
        tuple_(FederatedIdentity.provider, FederatedIdentity.subject).in_(pairs))
    return {(r.provider, r.subject): r.user_id for r in session.execute(query)}


def group_ids(session: Session, names: Iterable[str], create: bool) -> dict[str, str]:
    """Group name -> id; missing groups are created when `create` (an import brings its groups)."""
    names = list(names)
    found = {r.name: r.id for r in session.execute(select(Group.id, Group.name).where(Group.name.in_(names)))}
    missing = [n for n in names if n not in found]
    if create and missing:
        rows = [{"id": new_id(), "name": n, "created_at": utcnow()} for n in missing]
        session.execute(insert(Group), rows)
        found.update({r["name"]: r["id"] for r in rows})
    return found


def role_ids(session: Session, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(api identifier, role name) -> role id, for the roles that exist."""
    pairs = list(pairs)
    if not pairs:
        return {}
    query = select(Api.identifier, Role.name, Role.id).join(Api, Api.id == Role.api_id).where(
        tuple_(Api.identifier, Role.name).in_(pairs))
    return {(r.identifier, r.name): r.id for r in session.execute(query)}


def insert_users(session: Session, rows: list[dict]) -> None:
    if rows:
        session.execute(insert(User), rows)


def update_user(session: Session, user_id: str, values: dict) -> None:
    session.execute(update(User).where(User.id == user_id).values(**values, updated_at=utcnow()))


def clear_dependents(session: Session, user_ids: list[str]) -> None:
    """An updated user's imported credentials, links and memberships replace the old ones."""
    for model in (TotpCredential, RecoveryCode, FederatedIdentity):
        session.execute(delete(model).where(model.user_id.in_(user_ids)))
    session.execute(delete(GroupMember).where(GroupMember.user_id.in_(user_ids)))
    session.execute(delete(RoleAssignment).where(RoleAssignment.user_id.in_(user_ids)))


def insert_dependents(session: Session, totp: list[dict], codes: list[dict], links: list[dict],
                      members: list[dict], roles: list[dict]) -> None:
    for model, rows in ((TotpCredential, totp), (RecoveryCode, codes), (FederatedIdentity, links),
                        (GroupMember, members), (RoleAssignment, roles)):
        if rows:
            session.execute(insert(model), rows)


# -- export ------------------------------------------------------------------------------------
def users_after(session: Session, after: tuple | None, limit: int) -> list:
    """Up to `limit` users in (created_at, id) order after the keyset `after` (the index of 0011)."""
    query = select(User).order_by(User.created_at, User.id).limit(limit)
    if after is not None:
        query = query.where(tuple_(User.created_at, User.id) > after)
    return list(session.scalars(query))


def dependents_of(session: Session, user_ids: list[str]) -> dict[str, dict]:
    """Everything an export carries beside the user row, for a page of users, in five queries."""
    out = {uid: {"totp": None, "codes": [], "links": [], "groups": [], "roles": []} for uid in user_ids}
    for row in session.scalars(select(TotpCredential).where(TotpCredential.user_id.in_(user_ids))):
        out[row.user_id]["totp"] = row.secret_encrypted
    for row in session.scalars(select(RecoveryCode).where(RecoveryCode.user_id.in_(user_ids),
                                                          RecoveryCode.used_at.is_(None))):
        out[row.user_id]["codes"].append({"salt": row.salt, "hash": row.code_hash})
    for row in session.scalars(select(FederatedIdentity).where(FederatedIdentity.user_id.in_(user_ids))):
        out[row.user_id]["links"].append({"provider": row.provider, "subject": row.subject})
    for uid, name in session.execute(select(GroupMember.user_id, Group.name).join(Group, Group.id == GroupMember.group_id)
                                     .where(GroupMember.user_id.in_(user_ids))):
        out[uid]["groups"].append(name)
    query = (select(RoleAssignment.user_id, Api.identifier, Role.name).join(Role, Role.id == RoleAssignment.role_id)
             .join(Api, Api.id == Role.api_id).where(RoleAssignment.user_id.in_(user_ids)))
    for uid, api, role in session.execute(query):
        out[uid]["roles"].append({"api": api, "role": role})
    return out
