"""What a user has granted to clients, read across consents and refresh-token families: the
account page's "connected apps" and the admin console's grants of a user.

A client is connected when the user's consent to it is remembered or when a refresh-token
family of the user and that client can still be used (trusted first-party clients skip consent
but hold refresh tokens all the same). Revoking one goes through idp/store/user_grants.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import func, select

from idp.store.db import Database
from idp.store.models import Client, Consent, RefreshToken, utcnow


@dataclasses.dataclass(frozen=True)
class ConnectedApp:
    client_id: str
    client_name: str
    scopes: tuple[str, ...]
    granted_at: dt.datetime  # UTC: the consent's last change, else the first live refresh token
    active_families: int


class ConnectedApps:
    def __init__(self, db: Database):
        self.db = db

    def _live_families(self):
        return (RefreshToken.revoked_at.is_(None), RefreshToken.rotated_at.is_(None),
                RefreshToken.expires_at > utcnow())

    def for_user(self, user_id: str) -> list[ConnectedApp]:
        with self.db.session() as session:
            consents = {row.client_id: row for row in session.scalars(select(Consent).where(Consent.user_id == user_id))}
            families = session.execute(
                select(RefreshToken.client_id, func.count(RefreshToken.family_id.distinct()),
                       func.min(RefreshToken.issued_at), func.group_concat(RefreshToken.scope, " ")
                       if self.db.is_sqlite else func.string_agg(RefreshToken.scope, " "))
                .where(RefreshToken.user_id == user_id, *self._live_families())
                .group_by(RefreshToken.client_id)).all()
            live = {client_id: (count, first, set((scopes or "").split())) for client_id, count, first, scopes in families}
            ids = set(consents) | set(live)
            names = dict(session.execute(select(Client.client_id, Client.name).where(Client.client_id.in_(ids))).all())
        apps = []
        for client_id in ids:
            consent = consents.get(client_id)
            count, first, token_scopes = live.get(client_id, (0, None, set()))
            scopes = set(consent.scopes if consent else ()) | token_scopes
            apps.append(ConnectedApp(client_id, names.get(client_id, client_id), tuple(sorted(scopes)),
                                     consent.updated_at if consent else first, count))
        return sorted(apps, key=lambda app: app.client_name.lower())
