"""Linking an upstream identity to an existing local account, only after its owner signs in to it.

The callback found a local account with the upstream (verified) email but no link yet: it keeps
the identity in the browser session as `fed_link` (10 minutes) and sends the person to the login
page. When that person then completes a password sign-in (and second factor, if enrolled) to
exactly that account, authn.start_session calls complete_pending_link. Email alone never links.
"""

from __future__ import annotations

import time

from idp.observability import audit
from idp.plumbing.context import services
from idp.store.errors import Conflict

PENDING_LINK_TTL = 600


def pending_link(provider: str, subject: str, email: str, user_id: str, organization_id: str | None = None) -> dict:
    """organization_id: the identity is at that organization's enterprise connection, and linking it
    makes the account its member too (in the same transaction)."""
    return {"provider": provider, "subject": subject, "email": email, "uid": user_id,
            "until": int(time.time()) + PENDING_LINK_TTL, **({"org": organization_id} if organization_id else {})}


def complete_pending_link(user, pending: dict) -> bool:
    if pending.get("uid") != user.id or pending.get("until", 0) < time.time():
        return False
    try:
        if pending.get("org"):
            services().org_connections.link_member(pending["provider"], pending["subject"], user.id,
                                                   pending.get("email"), pending["org"])
        else:
            services().federated.link(pending["provider"], pending["subject"], user.id, pending.get("email"))
    except Conflict:
        return False
    audit.record("federation.linked", user_id=user.id, provider=pending["provider"],
                 **({"organization_id": pending["org"]} if pending.get("org") else {}))
    return True
