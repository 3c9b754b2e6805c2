"""Ending an IdP session: the browser session goes, and every relying party that
received an ID token in it is told by back-channel logout (OIDC Back-Channel Logout 1.0).

Called by RP-initiated logout and the hosted sign-out page; the account page
(revoking a session) and password reset call end_session_data with the stored
session they end.
"""

from __future__ import annotations

from flask import session

from idp.events import types as events
from idp.observability import audit
from idp.plumbing.context import services
from idp.signin import backchannel


def remember_client(client_id: str) -> None:
    """Note that a client received an ID token in this session (authorize, step 5)."""
    clients = list(session.get("rps") or [])
    if client_id not in clients:
        session["rps"] = clients + [client_id]


def end_session_data(data: dict):
    """Tell the session's relying parties; the caller removes the session itself."""
    if not data.get("uid"):
        return None
    audit.record("logout", user_id=data["uid"], clients=len(data.get("rps") or []))
    services().events.emit_alone("session.ended", events.session_ended(data["uid"], "signed_out"),
                                 user_id=data["uid"])
    return backchannel.notify(services(), data["uid"], data.get("sid"), data.get("rps"))


def sign_out():
    """End the current browser session."""
    data = dict(session)
    session.clear()
    return end_session_data(data)
