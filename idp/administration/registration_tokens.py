"""Initial access tokens for dynamic client registration (RFC 7591 3, REGISTRATION_MODE=token), as
administrators hand them out: the admin API's /registration-tokens and `idp clients
registration-token`. The value is shown once, to its creator; only its SHA-256 is stored, and that
hash is the token's id (it reveals nothing: the value is 256 random bits)."""

from __future__ import annotations

import re

from idp.administration import DEFAULT_LIMIT, Actor, Page, check_limit, check_version, page_of, version_of
from idp.administration.errors import Invalid, NotFound, PreconditionFailed
from idp.observability import audit
from idp.store.clients import RegistrationToken

MIN_TTL, MAX_TTL, DEFAULT_TTL = 60, 30 * 86400, 86400  # a minute to thirty days; a day by default
MAX_USES = 10_000
_ID = re.compile(r"^[0-9a-f]{64}$")


def token_version(token: RegistrationToken) -> str:
    return version_of(token.id, token.uses_left, token.expires_at.isoformat())


def token_json(token: RegistrationToken) -> dict:
    def when(value):
        return value.isoformat(timespec="seconds") + "Z"

    return {"id": token.id, "uses_left": token.uses_left, "expires_at": when(token.expires_at),
            "created_at": when(token.created_at)}


def check_request(uses, expires_in) -> None:
    errors = {}
    if type(uses) is not int or not 1 <= uses <= MAX_USES:
        errors["uses"] = f"an integer from 1 to {MAX_USES}"
    if type(expires_in) is not int or not MIN_TTL <= expires_in <= MAX_TTL:
        errors["expires_in"] = f"seconds, an integer from {MIN_TTL} to {MAX_TTL} (30 days)"
    if errors:
        raise Invalid(errors)


class RegistrationTokenAdmin:
    """Built on the services container (idp/services.py): `RegistrationTokenAdmin(services)`."""

    def __init__(self, services):
        self.tokens = services.initial_access_tokens

    def create(self, actor: Actor, uses: int = 1, expires_in: int = DEFAULT_TTL) -> tuple[RegistrationToken, str]:
        """The stored token and its value (to hand to whoever registers; never shown again)."""
        check_request(uses, expires_in)
        token, value = self.tokens.issue(expires_in, uses)
        audit.record("registration_token.created", actor=actor.label, token_id=token.id[:12], uses=uses,
                     expires_in=expires_in)
        return token, value

    def list(self, *, after: list | None = None, limit: int = DEFAULT_LIMIT) -> Page:
        """Every stored token, live or spent (the purge removes expired ones), by id."""
        check_limit(limit)
        if after is not None and not (isinstance(after, list) and len(after) == 1 and isinstance(after[0], str)
                                      and _ID.match(after[0])):
            raise Invalid({"cursor": "not a cursor of this list"})
        rows = self.tokens.page(after[0] if after else None, limit + 1)
        return page_of(rows, limit, lambda token: [token.id])

    def get(self, token_id) -> RegistrationToken:
        token = self.tokens.get(token_id) if isinstance(token_id, str) and _ID.match(token_id) else None
        if token is None:
            raise NotFound("registration token", str(token_id)[:64])
        return token

    def delete(self, actor: Actor, token_id, expected_version: str | None = None) -> None:
        """Revoke it: registrations with it are refused from now on."""
        token = self.get(token_id)
        check_version(expected_version, token_version(token))
        if not self.tokens.delete(token.id, token.uses_left if expected_version is not None else None):
            if self.tokens.get(token.id) is None:
                raise NotFound("registration token", token.id)
            raise PreconditionFailed()  # spent by a registration meanwhile
        audit.record("registration_token.deleted", actor=actor.label, token_id=token.id[:12])
