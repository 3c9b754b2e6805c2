"""Durable state (PostgreSQL in production, SQLite for the embedded default).

Short-lived state (sessions, codes, interactions) lives in the ephemeral store.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def new_id() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True, nullable=False)
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # Text: an imported hash (idp/migration/schemes.py) can be longer than argon2id's 97 characters.
    password_hash: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)
    # Issue 35: JSON objects a claim mapping may put in tokens (idp/accounts/user_metadata.py);
    # app_metadata only administrators set, user_metadata the user too (the account page's fields).
    app_metadata: Mapped[dict | None] = mapped_column(JSON)
    user_metadata: Mapped[dict | None] = mapped_column(JSON)


class Client(Base):
    __tablename__ = "clients"
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # HMAC-SHA256(salt, secret); see idp.plumbing.security.hash_client_secret for why not argon2.
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    secret_salt: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    redirect_uris: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    grant_types: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    response_types: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    scope: Mapped[str] = mapped_column(Text, default="openid profile email", nullable=False)
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(64), nullable=False)
    # Skips the consent page (first-party apps); set only by an admin.
    trusted: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    metadata_: Mapped[dict] = mapped_column("metadata", JSON, default=dict, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    # RFC 7592: SHA-256 of the registration access token of a dynamically registered client.
    registration_token_hash: Mapped[str | None] = mapped_column(String(64))
    # Optimistic concurrency (admin API ETag / If-Match): incremented by every change (migration 0013).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1", nullable=False)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # After a secret rotation the previous secret stays valid until previous_secret_expires_at.
    previous_secret_hash: Mapped[str | None] = mapped_column(String(64))
    previous_secret_salt: Mapped[str | None] = mapped_column(String(64))
    previous_secret_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Issue 35: claims its ID tokens and userinfo carry (idp/apis/claim_mappings.py); set by an
    # administrator only, never part of the registrable metadata (RFC 7591/7592).
    claim_mappings: Mapped[list | None] = mapped_column(JSON)
    # Every ORM write is `UPDATE … WHERE version = <read>` (StaleDataError when another came first).
    __mapper_args__ = {"version_id_col": version}


Index("ix_clients_created_at_client_id", Client.created_at, Client.client_id)


class PairwiseSubject(Base):
    """OIDC Core 8.1: the pairwise sub a sector sees for a user, so userinfo can find the user again."""

    __tablename__ = "pairwise_subjects"
    sector: Mapped[str] = mapped_column(String(255), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)


class Setting(Base):
    """Values the server generates once and keeps (the pairwise subject salt)."""

    __tablename__ = "idp_settings"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)


class InitialAccessToken(Base):
    """RFC 7591 3: what an operator hands out (`idp clients registration-token`) to allow registrations."""

    __tablename__ = "initial_access_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    uses_left: Mapped[int] = mapped_column(Integer, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class Consent(Base):
    __tablename__ = "consents"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id", ondelete="CASCADE"), primary_key=True)
    scopes: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)


class RefreshToken(Base):
    """One row per refresh token; rotation links tokens in a family (RFC 9700 4.14.2)."""

    __tablename__ = "refresh_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    scope: Mapped[str] = mapped_column(Text, nullable=False)
    auth_time: Mapped[int] = mapped_column(Integer, nullable=False)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    rotated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # RFC 9449 5: a public client's refresh token is bound to its DPoP key (thumbprint).
    dpop_jkt: Mapped[str | None] = mapped_column(String(64))
    # RFC 8707 2.2: the APIs (resource identifiers) the grant covers; a refresh may narrow to some of them.
    resources: Mapped[list | None] = mapped_column(JSON)
    # The organization the grant was made for (issue 33): its refreshed tokens stay in it.
    organization_id: Mapped[str | None] = mapped_column(String(36))


Index("ix_refresh_tokens_client_id", RefreshToken.client_id)


class Revocation(Base):
    """Revoked access-token jti or grant (family) id, kept until the token would expire."""

    __tablename__ = "revocations"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # "jti" or "grant"
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class SigningKey(Base):
    """A JWS signing key; the private part is encrypted under KEY_ENCRYPTION_KEY."""

    __tablename__ = "signing_keys"
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(16), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)  # next | current | retired | revoked
    public_jwk: Mapped[dict] = mapped_column(JSON, nullable=False)
    private_key_encrypted: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    promoted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    retire_until: Mapped[dt.datetime | None] = mapped_column(DateTime)


Index("ix_signing_keys_state", SigningKey.state)


# -- hosted account pages (issue 4) -------------------------------------------
class AccountToken(Base):
    """A single-use emailed link (email verification, password reset), kept only as its SHA-256."""

    __tablename__ = "account_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)  # "verify_email" | "reset_password"
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class TotpCredential(Base):
    """A confirmed TOTP secret (encrypted under KEY_ENCRYPTION_KEY) and the last time step used (no replay)."""

    __tablename__ = "totp_credentials"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    last_step: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class RecoveryCode(Base):
    """One MFA recovery code, as a salted SHA-256 (OWASP ASVS 2.6.2); used once."""

    __tablename__ = "recovery_codes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    salt: Mapped[str] = mapped_column(String(32), nullable=False)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class OutboxMessage(Base):
    """An email to send; retried until sent or given up, never dropped silently (see idp/accounts/mail.py).

    The body can hold a link token, so it is erased as soon as the message is sent or given up.
    """

    __tablename__ = "mail_outbox"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    recipient: Mapped[str] = mapped_column(String(320), nullable=False)
    subject: Mapped[str] = mapped_column(String(255), nullable=False)
    body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", nullable=False)  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    give_up_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


Index("ix_mail_outbox_due", OutboxMessage.status, OutboxMessage.next_attempt_at)
class AuditEvent(Base):
    """A security-relevant event (sign-in, failure, consent, revocation); never a secret in details."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    user_id: Mapped[str | None] = mapped_column(String(36))
    client_id: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(45))
    request_id: Mapped[str | None] = mapped_column(String(128))
    details: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    # who acted: "client:<id>" (an admin API client), "user:<id>" (an administrator), "cli" (an operator)
    actor: Mapped[str | None] = mapped_column(String(128))


# Newest first under each filter, as keyset pages read them (migration 0008)
Index("ix_audit_events_occurred_at_id", AuditEvent.occurred_at, AuditEvent.id)
for _column in ("user_id", "client_id", "action", "actor"):
    Index(f"ix_audit_events_{_column}_occurred_at_id", getattr(AuditEvent, _column), AuditEvent.occurred_at,
          AuditEvent.id)


# -- upstream federation (issue 5) ---------------------------------------------
class FederatedIdentity(Base):
    """An upstream account (provider, its stable subject) linked to one local user."""

    __tablename__ = "federated_identities"
    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


# -- retention (issue 16): what the purge and the bounded lists select on --------
# Purge batches walk (timestamp, primary key) so that rows sharing a timestamp are passed once (0014).
Index("ix_refresh_tokens_expires_at_hash", RefreshToken.expires_at, RefreshToken.token_hash)
Index("ix_refresh_tokens_revoked_at_hash", RefreshToken.revoked_at, RefreshToken.token_hash)
Index("ix_account_tokens_expires_at_hash", AccountToken.expires_at, AccountToken.token_hash)
Index("ix_account_tokens_used_at_hash", AccountToken.used_at, AccountToken.token_hash)
Index("ix_initial_access_tokens_expires_at_hash", InitialAccessToken.expires_at, InitialAccessToken.token_hash)
Index("ix_recovery_codes_used_at_id", RecoveryCode.used_at, RecoveryCode.id)
Index("ix_mail_outbox_sent_id", OutboxMessage.status, OutboxMessage.sent_at, OutboxMessage.id)
Index("ix_mail_outbox_given_up_id", OutboxMessage.status, OutboxMessage.give_up_at, OutboxMessage.id)
Index("ix_revocations_expires_at_id", Revocation.expires_at, Revocation.id)
Index("ix_users_created_at_id", User.created_at, User.id)
