"""Tables of passkeys (WebAuthn credentials, issue 17). Kept apart from models.py so the schema
of this feature reads in one place. Public keys only: the private key never leaves the authenticator."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.store.models import Base, new_id, utcnow


class PasskeyUserHandle(Base):
    """The WebAuthn user handle (user.id of the ceremony): 32 random bytes per user, never the
    account id or email (WebAuthn L3 14.6.1: it must not identify the user to others)."""

    __tablename__ = "passkey_user_handles"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    handle: Mapped[bytes] = mapped_column(LargeBinary(64), unique=True, nullable=False)


class PasskeyCredential(Base):
    """A registered public key credential: what verifying its assertions needs, and what the
    account page shows (name, added, last used, synced)."""

    __tablename__ = "passkey_credentials"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1023), unique=True, nullable=False)
    public_key: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)  # COSE_Key
    sign_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    transports: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    backup_eligible: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    backed_up: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    aaguid: Mapped[str] = mapped_column(String(36), nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
