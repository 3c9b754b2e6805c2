"""Revoking what a user granted a client (the account page's "connected apps", the admin
console's grants): every refresh-token family of the pair (RFC 7009 2.1: and the access tokens
they issued), the remembered consent (the next request asks again), and a back-channel logout
to the client when it registered for one (OIDC Back-Channel Logout 1.0, 2.5)."""

from __future__ import annotations

import dataclasses

from idp.events import types as events
from idp.signin import backchannel
from idp.store.user_grants import UserGrants


@dataclasses.dataclass(frozen=True)
class Revoked:
    families: int
    consent: bool
    logout_sent: bool


def revoke_app(svc, user_id: str, client_id: str) -> Revoked:
    grants = UserGrants(svc.db)
    grant = grants.get(user_id, client_id)
    families = grant.families if grant else ()
    for family_id in families:
        svc.tokens.revoke_grant(family_id)
    with svc.events.change():  # the consent forgotten and grant.revoked commit together
        consent = grants.forget_consent(user_id, client_id)
        svc.events.emit("grant.revoked", events.grant_revoked(user_id, client_id), user_id=user_id)
    # One logout token per session the client has an ID token of (with its sid), else one for the user.
    sids = svc.sessions.sids_at(user_id, client_id) or [None]
    sent = [backchannel.notify(svc, user_id, sid, [client_id]) for sid in sids]
    return Revoked(len(families), consent, any(thread is not None for thread in sent))
