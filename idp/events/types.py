"""The event types a webhook endpoint may subscribe to, and the builders of their `data`.

Each type's payload is a stable, documented JSON object (docs/webhooks.md): ids, and the names and
new values of what changed, never a secret, a hash or a token. A type's schema only ever grows
(new members); receivers ignore members they do not know.
"""

from __future__ import annotations

# type -> what it reports (the console and docs/webhooks.md show these)
EVENT_TYPES = {
    "user.created": "a user was created (by an administrator or a sign-up)",
    "user.updated": "an administrator changed a user's email, name, email_verified or disabled",
    "user.deleted": "a user was deleted",
    "user.disabled": "a user was disabled (sessions ended, grants revoked)",
    "user.enabled": "a disabled user was enabled again",
    "user.password_changed": "a user's password was changed or reset",
    "user.email_verified": "a user confirmed their email address",
    "user.signed_in": "a user signed in",
    "user.sign_in_failed": "a sign-in with a password failed",
    "user.locked": "too many failed attempts locked a user out for a while",
    "session.ended": "a user's browser session(s) ended (signed out, or ended by an administrator)",
    "grant.revoked": "a user's grant to a client was revoked (its tokens with it)",
    "client.created": "a client was registered",
    "client.updated": "a client's metadata changed",
    "client.deleted": "a client was deleted",
    "key.rotated": "a new signing key became current",
    "organization.member_added": "a user became a member of an organization",
    "organization.member_removed": "a user stopped being a member of an organization",
}
# Who the event is about: one user's events to one endpoint are delivered in the order they happened.
USER_FIELDS = ("email", "name", "email_verified", "disabled")


def user_created(user_id: str, email: str, name: str | None, email_verified: bool) -> dict:
    return {"user_id": user_id, "email": email, "name": name, "email_verified": bool(email_verified)}


def user_updated(user_id: str, changed: dict) -> dict:
    """changed: field -> new value, only the fields of USER_FIELDS."""
    return {"user_id": user_id, "changed": {k: v for k, v in changed.items() if k in USER_FIELDS}}


def user_only(user_id: str) -> dict:
    """user.deleted, user.disabled, user.enabled, user.password_changed."""
    return {"user_id": user_id}


def email_verified(user_id: str, email: str) -> dict:
    return {"user_id": user_id, "email": email}


def signed_in(user_id: str, amr: list, idp: str | None = None) -> dict:
    return {"user_id": user_id, "amr": list(amr or ()), "identity_provider": idp}


def sign_in_failed(user_id: str | None, reason: str) -> dict:
    """user_id None: no user has that email (the address itself is never sent)."""
    return {"user_id": user_id, "reason": reason}


def locked(user_id: str, seconds: int) -> dict:
    return {"user_id": user_id, "locked_for_seconds": int(seconds)}


def session_ended(user_id: str, reason: str, count: int = 1) -> dict:
    return {"user_id": user_id, "reason": reason, "sessions": int(count)}


def grant_revoked(user_id: str, client_id: str) -> dict:
    return {"user_id": user_id, "client_id": client_id}


def client_changed(client_id: str, fields=()) -> dict:
    """client.created (the fields set) and client.updated (the fields changed): names only, as a
    client's metadata can hold credentials (a jwks, a secret)."""
    return {"client_id": client_id, "fields": sorted(fields)}


def client_deleted(client_id: str) -> dict:
    return {"client_id": client_id}


def key_rotated(kid: str, alg: str, previous_kid: str | None) -> dict:
    return {"kid": kid, "alg": alg, "previous_kid": previous_kid}


def membership(organization_id: str, user_id: str) -> dict:
    return {"organization_id": organization_id, "user_id": user_id}
