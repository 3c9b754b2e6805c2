"""Tables of organizations (issue 33): the tenants a B2B deployment serves, their members and the
roles each member holds in that organization, their email domains, and the clients' organization
settings (set by operators only). Kept apart from models.py so the schema of this feature reads in
one place."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import false as sa_false

from idp.store.models import Base, new_id, utcnow


class Organization(Base):
    __tablename__ = "organizations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(63), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    # Branding its sign-in pages show instead of the deployment's.
    logo_url: Mapped[str | None] = mapped_column(String(2048))
    primary_color: Mapped[str | None] = mapped_column(String(7))
    background_color: Mapped[str | None] = mapped_column(String(7))
    display_name: Mapped[str | None] = mapped_column(String(255))  # shown instead of the deployment's name
    # Just-in-time membership: a user whose verified email is in a verified domain joins on sign-in.
    domain_membership: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false(), nullable=False)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)  # ETag / If-Match
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class OrganizationMember(Base):
    """A user in an organization; `is_admin`: holds the built-in org:admin role."""

    __tablename__ = "organization_members"
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class OrganizationMemberRole(Base):
    """A registered API's role held by a member in that organization only."""

    __tablename__ = "organization_member_roles"
    __table_args__ = (Index("ix_org_member_roles_member", "organization_id", "user_id"),)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role_id: Mapped[str] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True, index=True)


class OrganizationDomain(Base):
    """An email domain an organization claims; verified once its DNS TXT record holds the token."""

    __tablename__ = "organization_domains"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"),
                                                 nullable=False, index=True)
    domain: Mapped[str] = mapped_column(String(253), unique=True, nullable=False)
    verification_token: Mapped[str] = mapped_column(String(64), nullable=False)
    verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class ClientOrganizations(Base):
    """A client's organization settings, which only an operator sets (never registration, RFC 7591):
    `usage` none|allow|require, the organizations it may sign users in to (`restricted`; else any), and
    `admin_organization`, the one organization an admin API client is limited to. The latter has no
    foreign key on purpose: a client limited to a deleted organization stays limited (to nothing)."""

    __tablename__ = "client_organizations"
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id", ondelete="CASCADE"), primary_key=True)
    usage: Mapped[str] = mapped_column(String(8), default="none", nullable=False)
    # An allow-list was set: it stays a limit when its organizations are deleted (then: none allowed).
    restricted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false(), nullable=False)
    admin_organization: Mapped[str | None] = mapped_column(String(36), index=True)


class ClientAllowedOrganization(Base):
    __tablename__ = "client_allowed_organizations"
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"),
                                                 primary_key=True, index=True)


class OrganizationInvitation(Base):
    """An invitation of an email to an organization with roles: a one-time link (only its token's hash
    is kept), expiring, consumed in the same transaction that makes the membership."""

    __tablename__ = "organization_invitations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"),
                                                 nullable=False, index=True)
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    roles: Mapped[list] = mapped_column(JSON, default=list, nullable=False)  # [[api identifier | None, name], ...]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    accepted_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class OrganizationConnection(Base):
    """An organization's own enterprise connection: an upstream OpenID Connect issuer (by discovery)
    or a Google / GitHub / LinkedIn app with the organization's client credentials. Its id is also
    the federated identities' provider ("org." + 28 hex: no configured provider name has a dot);
    the client secret is kept encrypted under KEY_ENCRYPTION_KEY (AES-GCM, the id as AAD)."""

    __tablename__ = "organization_connections"
    __table_args__ = (Index("ix_organization_connections_org", "organization_id", "id"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)  # oidc | google | github | linkedin
    label: Mapped[str] = mapped_column(String(255), nullable=False)
    discovery_url: Mapped[str | None] = mapped_column(String(2048))  # oidc (google / linkedin: their own)
    client_id: Mapped[str] = mapped_column(String(255), nullable=False)
    client_secret: Mapped[str] = mapped_column(Text, nullable=False)  # base64 of the wrapped secret
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)  # ETag / If-Match
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
