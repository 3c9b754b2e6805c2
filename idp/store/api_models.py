"""Tables for registered APIs (resource servers, RFC 8707), client allowances, groups, roles and
their assignments (issue 21). Kept apart from models.py so the schema of this feature reads in one place."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from idp.store.models import Base, new_id, utcnow


class Api(Base):
    """A resource server: its identifier is the RFC 8707 `resource` value and the tokens' `aud`."""

    __tablename__ = "apis"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    identifier: Mapped[str] = mapped_column(String(512), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    scopes: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)  # scope -> description
    access_token_ttl: Mapped[int | None] = mapped_column(Integer)
    dpop_only: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # Scopes a user-delegated token carries only when one of the user's roles grants them (migration 0010).
    role_scopes: Mapped[list | None] = mapped_column(JSON)
    # The client this API authenticates as at introspection (RFC 7662): it sees only tokens meant for it.
    resource_server: Mapped[str | None] = mapped_column(String(64), index=True)
    # Issue 35: claims its access tokens carry, from user metadata and profile (idp/apis/claim_mappings.py).
    claim_mappings: Mapped[list | None] = mapped_column(JSON)
    # Every admin write is conditional on it (ETag / If-Match, migration 0015).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1", nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class ClientApi(Base):
    """A client allowed to ask tokens for an API, for some of its scopes (None: all)."""

    __tablename__ = "client_apis"
    __table_args__ = (Index("ix_client_apis_api_id_client_id", "api_id", "client_id"),)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id", ondelete="CASCADE"), primary_key=True)
    api_id: Mapped[str] = mapped_column(ForeignKey("apis.id", ondelete="CASCADE"), primary_key=True, index=True)
    scopes: Mapped[list | None] = mapped_column(JSON)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)


class Group(Base):
    """A group of users (and groups). `organization_id`: a group of that organization (issue 33),
    whose roles count only in that organization's tokens; None: a deployment-wide group."""

    __tablename__ = "groups"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE", name="fk_groups_organization_id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class GroupMember(Base):
    """A user (user_id) or a group (member_group_id) inside a group; exactly one is set."""

    __tablename__ = "group_members"
    __table_args__ = (Index("ix_group_members_group_id_user_id", "group_id", "user_id"),
                      Index("ix_group_members_group_id_member_group_id", "group_id", "member_group_id"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    group_id: Mapped[str] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    member_group_id: Mapped[str | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)


class Role(Base):
    """A label an API checks (e.g. orders-admin), standing for a set of that API's scopes."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("api_id", "name", name="uq_roles_api_name"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    api_id: Mapped[str] = mapped_column(ForeignKey("apis.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    scopes: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)


class RoleAssignment(Base):
    """A role given to a user or to a group (exactly one is set)."""

    __tablename__ = "role_assignments"
    # A role's holders are a keyset page by user_id (idp/store/role_holdings.py, migration 0023).
    __table_args__ = (Index("ix_role_assignments_role_id_user_id", "role_id", "user_id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    role_id: Mapped[str] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[str | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
