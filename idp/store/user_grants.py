"""What a user granted each client, as administrators see it: the remembered consent and the
refresh-token families still usable, one entry per client, in client_id order (keyset pages)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import delete, select, union

from idp.store.db import Database
from idp.store.models import Client, Consent, RefreshToken, utcnow


@dataclasses.dataclass(frozen=True)
class UserGrant:
    client_id: str
    client_name: str | None
    scopes: tuple[str, ...]  # the consent's (empty when the client skips consent)
    consent_updated_at: dt.datetime | None
    families: tuple[str, ...]  # refresh-token families still usable


def _active(user_id: str):
    return (RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None), RefreshToken.rotated_at.is_(None),
            RefreshToken.expires_at > utcnow())


class UserGrants:
    def __init__(self, db: Database):
        self.db = db

    def page(self, user_id: str, after_client: str | None, limit: int) -> list[UserGrant]:
        consented = select(Consent.client_id.label("client_id")).where(Consent.user_id == user_id)
        refreshing = select(RefreshToken.client_id.label("client_id")).where(*_active(user_id))
        if after_client is not None:
            consented = consented.where(Consent.client_id > after_client)
            refreshing = refreshing.where(RefreshToken.client_id > after_client)
        ids = union(consented, refreshing).subquery()
        with self.db.read() as session:
            client_ids = list(session.scalars(select(ids.c.client_id).order_by(ids.c.client_id).limit(limit)))
            return [self._grant(session, user_id, client_id) for client_id in client_ids]

    def get(self, user_id: str, client_id: str) -> UserGrant | None:
        with self.db.read() as session:
            grant = self._grant(session, user_id, client_id)
        return grant if grant.consent_updated_at or grant.families else None

    @staticmethod
    def _grant(session, user_id: str, client_id: str) -> UserGrant:
        consent = session.get(Consent, (user_id, client_id))
        client = session.get(Client, client_id)
        families = sorted(set(session.scalars(select(RefreshToken.family_id).where(
            *_active(user_id), RefreshToken.client_id == client_id))))
        return UserGrant(client_id, client.name if client else None, tuple(consent.scopes) if consent else (),
                         consent.updated_at if consent else None, tuple(families))

    def forget_consent(self, user_id: str, client_id: str) -> bool:
        with self.db.session() as session:
            return session.execute(delete(Consent).where(Consent.user_id == user_id,
                                                         Consent.client_id == client_id)).rowcount == 1
