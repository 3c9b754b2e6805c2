"""OAuth clients as an administrator manages them (the admin API and `idp clients`).

Every write is checked exactly like a dynamic registration (client_policy), is audited
(who, which client, which fields: never a secret) and, for a change of an existing client,
is conditional on the version the caller read (ETag / If-Match): the store locks the row
while it compares, so of two administrators editing one client the second is refused
instead of silently undoing the first. A secret is returned once, by create and by
rotate_secret; only its salted hash is kept.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import re
from collections.abc import Callable

from idp.administration import client_policy
from idp.administration.errors import Duplicate, Invalid, NotFound, PreconditionFailed
from idp.observability import audit
from idp.store.clients import Clients, OAuthClient
from idp.store.errors import Conflict, StaleVersion
from idp.store.refresh_tokens import RefreshTokens

CLIENT_ID = re.compile(r"[A-Za-z0-9._~-]{1,64}")  # RFC 3986 unreserved: safe in a URL path and a Basic header
SECRET_METHODS = ("client_secret_basic", "client_secret_post", "client_secret_jwt")
MAX_GRACE_SECONDS = 30 * 86400
DEFAULT_LIMIT, MAX_LIMIT = 50, 500
# What an administrator may send: the registrable metadata, plus what only an administrator sets.
METADATA_FIELDS = frozenset(name for cls in client_policy.CLAIM_CLASSES for name in cls.REGISTERED_CLAIMS)
ADMIN_FIELDS = ("client_id", "trusted")


@dataclasses.dataclass(frozen=True)
class Page:
    items: list[OAuthClient]
    next_cursor: str | None


def _when(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def document(client: OAuthClient, active_grants: int | None = None) -> dict:
    """What the admin surfaces show of a client: its metadata (RFC 7591 3.2.1) and the administrative
    facts; never the secret or its hash."""
    data = client_policy.describe(client)
    data.update(trusted=client.trusted, version=client.version, created_at=_when(client.created_at),
                updated_at=_when(client.updated_at), has_secret=client.secret_hash is not None,
                previous_secret_expires_at=_when(client.previous_secret_expires_at)
                if client.previous_secret_live else None)
    if active_grants is not None:
        data["active_grants"] = active_grants
    return data


def encode_cursor(client: OAuthClient) -> str:
    raw = json.dumps([client.created_at.isoformat(), client.client_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, str]:
    try:
        created_at, client_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return dt.datetime.fromisoformat(created_at), str(client_id)
    except (ValueError, TypeError):
        raise Invalid("The cursor is not one this server issued.", {"cursor": "not a cursor of this list"}) from None


def _invalid(exc: client_policy.InvalidMetadata) -> Invalid:
    errors: dict[str, str] = {}
    for problem in exc.problems:
        errors.setdefault(problem.field, problem.detail)
    return Invalid("The client metadata is not valid.", errors)


class ClientAdministration:
    """server_metadata: what the server supports, the policy a client is checked against (the
    surfaces build it from discovery: see idp/oauth/client_metadata.admin_policy)."""

    def __init__(self, clients: Clients, refresh_tokens: RefreshTokens, server_metadata: Callable[[], dict],
                 outbound=None):
        self.clients = clients
        self.refresh_tokens = refresh_tokens
        self.server_metadata = server_metadata
        self.outbound = outbound

    # -- reading ---------------------------------------------------------------
    def list(self, limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> Page:
        """Oldest first; next_cursor reads the following page (None on the last)."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise Invalid(f"limit must be an integer from 1 to {MAX_LIMIT}.", {"limit": f"1 to {MAX_LIMIT}"})
        rows = self.clients.page(limit + 1, decode_cursor(cursor) if cursor else None)
        items = rows[:limit]
        return Page(items, encode_cursor(items[-1]) if len(rows) > limit else None)

    def get(self, client_id: str) -> OAuthClient:
        client = self.clients.get(client_id, fresh=True)
        if client is None:
            raise NotFound(f"No client {client_id}.")
        return client

    def active_grants(self, client_id: str) -> int:
        """Grants (refresh-token families) of this client that can still be used."""
        return self.refresh_tokens.count_active_for_client(client_id)

    # -- writing ---------------------------------------------------------------
    def create(self, fields: dict, actor: str) -> tuple[OAuthClient, str | None]:
        """A new client from RFC 7591 metadata (+ client_id, trusted); returns it and its secret, shown once."""
        fields = self._known(fields)
        trusted = self._trusted(fields.pop("trusted", False))
        client_id = fields.pop("client_id", None)
        if client_id is not None and not (isinstance(client_id, str) and CLIENT_ID.fullmatch(client_id)):
            raise Invalid("The client_id is not valid.", {"client_id": "1 to 64 of A-Z a-z 0-9 . _ ~ -"})
        validated = self._validate(fields)
        try:
            client, secret = self.clients.create(**client_policy.client_fields(validated), trusted=trusted,
                                                 client_id=client_id)
        except Conflict:
            raise Duplicate(f"A client {client_id} exists.", {"client_id": "already taken"}) from None
        audit.record("client.created", client_id=client.client_id, actor=actor, fields=sorted(validated),
                     trusted=trusted)
        return client, secret

    def update(self, client_id: str, changes: dict, actor: str, expected_version: int | None = None) -> OAuthClient:
        """Apply changes as a JSON merge patch (RFC 7396) of the top-level fields: a value replaces the
        field, null removes it; the result is checked like a new registration."""
        current = self.get(client_id)
        changes = self._known(changes)
        if changes.get("client_id", client_id) != client_id:
            raise Invalid("The client_id cannot change.", {"client_id": "cannot change"})
        method = changes.get("token_endpoint_auth_method", current.token_endpoint_auth_method)
        if method != current.token_endpoint_auth_method:
            raise Invalid("The authentication method cannot change: its credentials would not follow.",
                          {"token_endpoint_auth_method": "cannot change; create a new client"})
        merged = {k: v for k, v in client_policy.describe(current).items() if k != "client_id"}
        if "grant_types" in changes and "response_types" not in changes:
            merged.pop("response_types")  # derived again from the new grant types
        merged["trusted"] = current.trusted
        for name, value in changes.items():
            if value is None:
                merged.pop(name, None)
            elif name != "client_id":
                merged[name] = value
        trusted = self._trusted(merged.pop("trusted", False))
        validated = self._validate(merged)
        fields = client_policy.client_fields(validated)
        try:
            client = self.clients.update(
                client_id, expected_version if expected_version is not None else current.version,
                name=fields["name"], redirect_uris=fields["redirect_uris"], grant_types=fields["grant_types"],
                scope=fields["scope"], metadata_=fields["metadata"], response_types=validated["response_types"],
                trusted=trusted)
        except StaleVersion:
            raise self._stale(client_id) from None
        if client is None:
            raise NotFound(f"No client {client_id}.")
        before, after = document(current), document(client)
        changed = sorted(k for k in set(before) | set(after)
                         if before.get(k) != after.get(k) and k not in ("version", "updated_at"))
        audit.record("client.updated", client_id=client_id, actor=actor, changed=changed)
        return client

    def delete(self, client_id: str, actor: str, expected_version: int | None = None) -> None:
        """The client and, by cascade, its consents and refresh tokens."""
        try:
            deleted = self.clients.delete(client_id, expected_version)
        except StaleVersion:
            raise self._stale(client_id) from None
        if not deleted:
            raise NotFound(f"No client {client_id}.")
        audit.record("client.deleted", client_id=client_id, actor=actor)

    def rotate_secret(self, client_id: str, grace_seconds: int, actor: str,
                      expected_version: int | None = None) -> tuple[OAuthClient, str]:
        """A new secret, returned once; the old one keeps working for grace_seconds (RFC 9700 2.5:
        credentials rotated without breaking the client that deploys the new one)."""
        current = self.get(client_id)
        if current.token_endpoint_auth_method not in SECRET_METHODS:
            raise Invalid("This client authenticates without a secret.",
                          {"token_endpoint_auth_method": f"{current.token_endpoint_auth_method} has no secret"})
        if (isinstance(grace_seconds, bool) or not isinstance(grace_seconds, int)
                or not 0 <= grace_seconds <= MAX_GRACE_SECONDS):
            raise Invalid("The grace period is not valid.",
                          {"grace_seconds": f"an integer from 0 to {MAX_GRACE_SECONDS}"})
        try:
            client, secret = self.clients.rotate_secret(client_id, grace_seconds, expected_version)
        except StaleVersion:
            raise self._stale(client_id) from None
        if client is None:
            raise NotFound(f"No client {client_id}.")
        audit.record("client.secret_rotated", client_id=client_id, actor=actor, grace_seconds=grace_seconds)
        return client, secret

    # -- checks ----------------------------------------------------------------
    def _known(self, fields) -> dict:
        """RFC 7591 2 lets a server ignore unknown fields; an administrator's typo is refused instead."""
        if not isinstance(fields, dict):
            raise Invalid("The body must be a JSON object.", {"body": "a JSON object"})
        unknown = sorted(k for k in fields if k not in METADATA_FIELDS and k not in ADMIN_FIELDS
                         and k not in client_policy.UNSUPPORTED)
        if unknown:
            raise Invalid("Unknown client fields.", {name: "unknown field" for name in unknown})
        return dict(fields)

    @staticmethod
    def _trusted(value) -> bool:
        if not isinstance(value, bool):
            raise Invalid("trusted must be a boolean.", {"trusted": "a boolean"})
        return value

    def _validate(self, fields: dict) -> dict:
        try:
            return client_policy.validate(fields, self.server_metadata(), self.outbound)
        except client_policy.InvalidMetadata as exc:
            raise _invalid(exc) from None

    @staticmethod
    def _stale(client_id: str) -> PreconditionFailed:
        return PreconditionFailed(f"Client {client_id} changed since it was read; read it again.")
