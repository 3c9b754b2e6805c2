"""Passkey credentials and user handles (WebAuthn, issue 17).

The rules a stored credential keeps live here, each one a single conditional statement so two
replicas finishing assertions at once cannot both win:
* the signature counter never goes back (WebAuthn L3 7.2 step 21): an assertion whose counter
  is not above the stored one is refused, unless both are 0 (authenticators without a counter,
  such as synced passkeys, always send 0);
* a credential that was not backup eligible at registration never becomes so (BE is fixed for
  a credential's life, L3 6.1.3); its backup state (BS) follows what the authenticator says.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from idp.store.db import Database
from idp.store.errors import Conflict
from idp.store.models import utcnow
from idp.store.passkey_models import PasskeyCredential, PasskeyUserHandle


@dataclasses.dataclass(frozen=True)
class StoredPasskey:
    id: str
    user_id: str
    credential_id: bytes
    public_key: bytes
    sign_count: int
    transports: list
    backup_eligible: bool
    backed_up: bool
    aaguid: str
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None


def _view(row: PasskeyCredential) -> StoredPasskey:
    return StoredPasskey(row.id, row.user_id, bytes(row.credential_id), bytes(row.public_key), row.sign_count,
                         list(row.transports or []), row.backup_eligible, row.backed_up, row.aaguid, row.name,
                         row.created_at, row.last_used_at)


class CounterRegressed(Exception):
    """The signature counter did not increase: the credential may have been cloned (L3 6.1.1)."""


class Passkeys:
    def __init__(self, db: Database):
        self.db = db

    # -- user handles ---------------------------------------------------------
    def user_handle(self, user_id: str) -> bytes:
        """The user's handle, made (32 random bytes) the first time it is needed."""
        with self.db.session() as session:
            row = session.get(PasskeyUserHandle, user_id)
            if row is not None:
                return bytes(row.handle)
        handle = secrets.token_bytes(32)
        try:
            with self.db.session() as session:
                session.add(PasskeyUserHandle(user_id=user_id, handle=handle))
            return handle
        except IntegrityError:  # another request made it first
            with self.db.session() as session:
                return bytes(session.get(PasskeyUserHandle, user_id).handle)

    def user_for_handle(self, handle: bytes) -> str | None:
        with self.db.session() as session:
            return session.scalar(select(PasskeyUserHandle.user_id).where(PasskeyUserHandle.handle == handle))

    # -- credentials ----------------------------------------------------------
    def add(self, user_id: str, credential_id: bytes, public_key: bytes, sign_count: int, transports: list,
            backup_eligible: bool, backed_up: bool, aaguid: str, name: str) -> StoredPasskey:
        """Conflict when the credential id is already registered (to anyone: L3 7.1 step 26)."""
        if backed_up and not backup_eligible:
            raise ValueError("a credential cannot be backed up without being backup eligible (L3 6.1.3)")
        try:
            with self.db.session() as session:
                row = PasskeyCredential(user_id=user_id, credential_id=credential_id, public_key=public_key,
                                        sign_count=sign_count, transports=list(transports), aaguid=aaguid,
                                        backup_eligible=backup_eligible, backed_up=backed_up, name=name)
                session.add(row)
                session.flush()
                return _view(row)
        except IntegrityError:
            raise Conflict("credential already registered") from None

    def for_user(self, user_id: str) -> list[StoredPasskey]:
        with self.db.session() as session:
            rows = session.scalars(select(PasskeyCredential).where(PasskeyCredential.user_id == user_id)
                                   .order_by(PasskeyCredential.created_at))
            return [_view(row) for row in rows]

    def count(self, user_id: str) -> int:
        with self.db.session() as session:
            return session.scalar(select(func.count()).select_from(PasskeyCredential)
                                  .where(PasskeyCredential.user_id == user_id))

    def by_credential_id(self, credential_id: bytes) -> StoredPasskey | None:
        with self.db.session() as session:
            row = session.scalar(select(PasskeyCredential).where(PasskeyCredential.credential_id == credential_id))
            return _view(row) if row else None

    def record_use(self, passkey: StoredPasskey, sign_count: int, backup_eligible: bool, backed_up: bool) -> None:
        """After a verified assertion: the new counter and backup state, and when. CounterRegressed when
        the counter went back (or another replica recorded this counter first)."""
        if backup_eligible != passkey.backup_eligible or (backed_up and not backup_eligible):
            raise ValueError("the backup eligibility of a credential cannot change (L3 6.1.3)")
        counter_ok = ((PasskeyCredential.sign_count < sign_count) if sign_count > 0
                      else (PasskeyCredential.sign_count == 0))
        with self.db.session() as session:
            changed = session.execute(
                update(PasskeyCredential)
                .where(PasskeyCredential.id == passkey.id, counter_ok)
                .values(sign_count=sign_count, backed_up=backed_up, last_used_at=utcnow())
            ).rowcount
        if changed != 1:
            raise CounterRegressed(passkey.id)

    def rename(self, user_id: str, passkey_id: str, name: str) -> bool:
        with self.db.session() as session:
            return session.execute(update(PasskeyCredential)
                                   .where(PasskeyCredential.id == passkey_id, PasskeyCredential.user_id == user_id)
                                   .values(name=name)).rowcount == 1

    def remove(self, user_id: str, passkey_id: str) -> bool:
        with self.db.session() as session:
            return session.execute(delete(PasskeyCredential).where(
                PasskeyCredential.id == passkey_id, PasskeyCredential.user_id == user_id)).rowcount == 1

    def remove_all(self, user_id: str) -> int:
        with self.db.session() as session:
            return session.execute(delete(PasskeyCredential).where(PasskeyCredential.user_id == user_id)).rowcount
