"""OpenID Connect Back-Channel Logout 1.0: logout tokens POSTed to relying parties.

authlib has no back-channel logout, so it is written here:

* the logout token (section 2.4): iss, aud, iat, exp, jti, sub and sid, the
  back-channel logout event, never a nonce; typ `logout+jwt` (section 2.4) and
  signed like the client's ID tokens;
* delivery (section 2.5): POST `logout_token=...` form-encoded to each client of
  the session that registered a backchannel_logout_uri; 200 or 204 means done,
  a network error or 5xx is retried with backoff, a 4xx is the RP refusing it
  (not retried). Delivery runs in a background thread so the user's logout never
  waits for a relying party, and goes through the outbound request guard.
"""

from __future__ import annotations

import logging
import threading
import time

from idp.plumbing.outbound import OutboundError
from idp.plumbing.security import random_token
from idp.tokens.keys import id_token_alg
from idp.tokens.subjects import subject_for

EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_TYP = "logout+jwt"
LOGOUT_TOKEN_TTL = 120
RETRY_DELAYS = (0.5, 2.0, 8.0)  # after the first attempt; four attempts in all

THREAD_NAME = "backchannel-logout"

log = logging.getLogger("idp.backchannel")


def logout_token(svc, client, user_id: str, sid: str | None) -> str:
    now = int(time.time())
    claims = {
        "iss": svc.config.issuer,
        "aud": client.client_id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_TTL,
        "jti": random_token(16),
        "sub": subject_for(svc, client, user_id),
        "events": {EVENT: {}},
    }
    if sid:
        claims["sid"] = sid
    return svc.keys.sign(claims, typ=LOGOUT_TOKEN_TYP, alg=id_token_alg(svc.keys, client))


def notify(svc, user_id: str, sid: str | None, client_ids) -> threading.Thread | None:
    """Send a logout token to every client of the session that asked for one."""
    deliveries = []
    for client_id in dict.fromkeys(client_ids or ()):
        client = svc.clients.get(client_id)
        uri = client.client_metadata.get("backchannel_logout_uri") if client else None
        if not uri:
            continue
        if client.client_metadata.get("backchannel_logout_session_required") and not sid:
            continue  # the RP needs a sid we do not have (section 2.2)
        deliveries.append((client.client_id, uri, logout_token(svc, client, user_id, sid)))
    if not deliveries:
        return None
    thread = threading.Thread(target=_deliver_all, args=(svc.outbound, deliveries), daemon=True,
                              name=THREAD_NAME)
    thread.start()
    return thread


def wait_for_deliveries(timeout: float) -> None:
    """Let deliveries in flight finish (a command must not exit under them: they are daemon threads)."""
    for thread in threading.enumerate():
        if thread.name == THREAD_NAME:
            thread.join(timeout)


def _deliver_all(outbound, deliveries) -> None:
    for client_id, uri, token in deliveries:
        deliver(outbound, client_id, uri, token)


def deliver(outbound, client_id: str, uri: str, token: str, delays=RETRY_DELAYS) -> bool:
    for attempt, delay in enumerate((0.0, *delays), start=1):
        time.sleep(delay)
        try:
            response = outbound.post_form(uri, {"logout_token": token})
        except OutboundError as exc:
            log.warning("back-channel logout to %s failed (attempt %d): %s", client_id, attempt, exc)
            continue
        if response.status in (200, 204):
            return True
        log.warning("back-channel logout to %s answered %d (attempt %d)", client_id, response.status, attempt)
        if response.status < 500:
            return False  # the RP refused the token: retrying sends the same token again
    return False
