"""OAuth clients as an administrator manages them (the admin API and `idp clients`).

Every write is checked exactly like a dynamic registration (client_policy), is audited
(who, which client, which fields: never a secret) and, for a change of an existing client,
is conditional on the version the caller read (ETag / If-Match): the store's UPDATE is
conditional on that version too, so of two administrators editing one client the second
is refused instead of silently undoing the first. A secret is returned once, by create and by
rotate_secret; only its salted hash is kept.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from idp.administration import (
    DEFAULT_LIMIT,
    Actor,
    Page,
    check_limit,
    check_version,
    client_policy,
    page_of,
    version_of,
)
from idp.administration.errors import Duplicate, Invalid, NotFound, PreconditionFailed
from idp.administration.search import check_query
from idp.apis.claim_mappings import InvalidMappings, check_mappings
from idp.events import types as events
from idp.observability import audit
from idp.store.clients import OAuthClient
from idp.store.errors import Conflict, StaleVersion

CLIENT_ID = re.compile(r"[A-Za-z0-9._~-]{1,64}")  # RFC 3986 unreserved: safe in a URL path and a Basic header
SECRET_METHODS = ("client_secret_basic", "client_secret_post", "client_secret_jwt")
MAX_GRACE_SECONDS = 30 * 86400
# What an administrator may send: the registrable metadata, plus what only an administrator sets.
METADATA_FIELDS = frozenset(name for cls in client_policy.CLAIM_CLASSES for name in cls.REGISTERED_CLAIMS)
ADMIN_FIELDS = ("client_id", "trusted", "claim_mappings")  # claim_mappings: issue 35, never a registrant's


def client_version(client: OAuthClient) -> str:
    """Its ETag's value: the row's change counter (every write of the row is conditional on it), and
    its creation, so that a client deleted and made again under its id never matches an old ETag."""
    return version_of(client.client_id, client.created_at.isoformat(), client.version)


def _when(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def document(client: OAuthClient, active_grants: int | None = None) -> dict:
    """What the admin surfaces show of a client: its metadata (RFC 7591 3.2.1) and the administrative
    facts; never the secret or its hash."""
    data = client_policy.describe(client)
    data.update(trusted=client.trusted, created_at=_when(client.created_at), updated_at=_when(client.updated_at),
                has_secret=client.secret_hash is not None,
                previous_secret_expires_at=_when(client.previous_secret_expires_at)
                if client.previous_secret_live else None,
                claim_mappings=[dict(m) for m in client.claim_mappings])
    if active_grants is not None:
        data["active_grants"] = active_grants
    return data


def _invalid(exc: client_policy.InvalidMetadata, server_metadata: dict) -> Invalid:
    """Every wrong field and why; for a field of a fixed set (grant types, methods, algorithms, …),
    the values it may take, so that no surface has to guess them."""
    errors: dict[str, str] = {}
    allowed: dict[str, tuple[str, ...]] = {}
    for problem in exc.problems:
        errors.setdefault(problem.field, problem.detail)
        if values := problem.allowed or client_policy.allowed_values(problem.field, server_metadata):
            allowed.setdefault(problem.field, values)
    return Invalid(errors, allowed)


class ClientAdmin:
    """Built on the services container (idp/services.py) and the server metadata a client is checked
    against (the surfaces build it from discovery: idp/oauth/client_metadata.admin_policy)."""

    def __init__(self, services, server_metadata: Callable[[], dict]):
        self.clients = services.clients
        self.refresh_tokens = services.refresh_tokens
        self.outbound = services.outbound
        self.authorization = services.authorization
        self.events = services.events  # the webhook outbox: each change commits with its event
        self.server_metadata = server_metadata

    # -- reading ---------------------------------------------------------------
    def list(self, *, after: list | None = None, limit: int = DEFAULT_LIMIT, q: str | None = None) -> Page:
        """Oldest first; `after`: the previous page's next_key ([created_at, client_id]); `q`: text the
        name or client_id holds (idp/administration/search.py)."""
        check_limit(limit)
        errors: dict = {}
        q = check_query(q, errors)
        if errors:
            raise Invalid(errors)
        key = None
        if after is not None:
            try:
                if len(after) != 2 or not isinstance(after[1], str):
                    raise ValueError
                key = (dt.datetime.fromisoformat(after[0]), after[1])
                if key[0].tzinfo is not None:  # ours are naive UTC; an offset could overflow the database's range
                    raise ValueError
            except (ValueError, TypeError):
                raise Invalid({"cursor": "not a cursor of this list"}) from None
        rows = self.clients.page(limit + 1, key, contains=q)
        return page_of(rows, limit, lambda client: [client.created_at.isoformat(), client.client_id])

    def get(self, client_id: str) -> OAuthClient:
        client = self.clients.get(client_id, fresh=True) if isinstance(client_id, str) else None
        if client is None:
            raise NotFound("client", str(client_id))
        return client

    def active_grants(self, client_id: str) -> int:
        """How many users granted this client something still in force (a consent, a usable refresh token)."""
        return self.refresh_tokens.count_grants_of_client(client_id)

    # -- writing ---------------------------------------------------------------
    def create(self, actor: Actor, fields: dict, *, dry_run: bool = False) -> tuple[OAuthClient, str | None]:
        """A new client from RFC 7591 metadata (+ client_id, trusted); returns it and its secret, shown once.
        dry_run: only check (Invalid names every wrong field), store nothing and return (None, None):
        a form that found mistakes of its own still shows the service's beside them."""
        fields, refused = self._known(fields), {}
        trusted = self._trusted(fields.pop("trusted", False), refused)
        client_id = fields.pop("client_id", None)
        mappings = self._mappings(fields.pop("claim_mappings", None), refused)
        if client_id is not None and not (isinstance(client_id, str) and CLIENT_ID.fullmatch(client_id)):
            refused["client_id"] = "1 to 64 of A-Z a-z 0-9 . _ ~ -"
        validated = self._validate(actor, fields, refused=refused)
        if dry_run:
            return None, None
        try:
            with self.events.change():
                client, secret = self.clients.create(**client_policy.client_fields(validated), trusted=trusted,
                                                     client_id=client_id, claim_mappings=mappings)
                self.events.emit("client.created", events.client_changed(client.client_id, validated))
        except Conflict:
            raise Duplicate("client_id", f"a client {client_id} exists") from None
        audit.record("client.created", client_id=client.client_id, actor=actor.label, fields=sorted(validated),
                     trusted=trusted)
        if mappings:
            self.authorization.changed()  # a client of that id made before may have left cached mappings
        return client, secret

    def update(self, actor: Actor, client_id: str, changes: dict, version: str | None = None, *,
               dry_run: bool = False) -> OAuthClient:
        """Apply changes as a JSON merge patch (RFC 7396) of the top-level fields: a value replaces the
        field, null removes it; the result is checked like a new registration. version: the ETag
        the caller read (None: unconditional, the CLI). dry_run: check only, return the client unchanged."""
        changes = self._known(changes)
        current = self._current(client_id, version)
        refused = {}
        mapping_change = {}
        if "claim_mappings" in changes:
            mapping_change["claim_mappings"] = self._mappings(changes.pop("claim_mappings"), refused) or None
        if changes.pop("client_id", client_id) != client_id:
            refused["client_id"] = "cannot change"
        if changes.get("token_endpoint_auth_method", current.token_endpoint_auth_method) \
                != current.token_endpoint_auth_method:
            refused["token_endpoint_auth_method"] = ("cannot change (its credentials would not follow): "
                                                     "create a new client")
            del changes["token_endpoint_auth_method"]
        merged = {k: v for k, v in client_policy.describe(current).items() if k != "client_id"}
        if "grant_types" in changes and "response_types" not in changes:
            merged.pop("response_types")  # derived again from the new grant types
        merged["trusted"] = current.trusted
        for name, value in changes.items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = value
        trusted = self._trusted(merged.pop("trusted", False), refused)
        validated = self._validate(actor, merged, current.scope, refused)
        if dry_run:
            return current
        fields = client_policy.client_fields(validated)
        try:
            with self.events.change():
                client = self.clients.update(
                    client_id, current.version,
                    name=fields["name"], redirect_uris=fields["redirect_uris"], grant_types=fields["grant_types"],
                    scope=fields["scope"], metadata_=fields["metadata"], response_types=validated["response_types"],
                    trusted=trusted, **mapping_change)
                if client is None:
                    raise NotFound("client", client_id)
                before, after = document(current), document(client)
                changed = sorted(k for k in set(before) | set(after)
                                 if before.get(k) != after.get(k) and k != "updated_at")
                self.events.emit("client.updated", events.client_changed(client_id, changed))
        except StaleVersion:
            raise PreconditionFailed() from None
        audit.record("client.updated", client_id=client_id, actor=actor.label, changed=changed)
        if "claim_mappings" in changed:
            self.authorization.changed()  # the next ID token on every replica (idp/apis/custom_claims.py)
        return client

    def delete(self, actor: Actor, client_id: str, version: str | None = None) -> None:
        """The client and, by cascade, its consents and refresh tokens."""
        current = self._current(client_id, version)
        try:
            with self.events.change():
                deleted = self.clients.delete(client_id, current.version)
                if deleted:
                    self.events.emit("client.deleted", events.client_deleted(client_id))
        except StaleVersion:
            raise PreconditionFailed() from None
        if not deleted:
            raise NotFound("client", client_id)
        audit.record("client.deleted", client_id=client_id, actor=actor.label)

    def rotate_secret(self, actor: Actor, client_id: str, grace_seconds: int,
                      version: str | None = None) -> tuple[OAuthClient, str]:
        """A new secret, returned once; the old one keeps working for grace_seconds, so the client can
        deploy the new one without an outage (RFC 9700 2.5: rotate credentials)."""
        if type(grace_seconds) is not int or not 0 <= grace_seconds <= MAX_GRACE_SECONDS:
            raise Invalid({"grace_seconds": f"an integer from 0 to {MAX_GRACE_SECONDS}"})
        current = self._current(client_id, version)
        if current.token_endpoint_auth_method not in SECRET_METHODS:
            raise Invalid({"token_endpoint_auth_method": f"{current.token_endpoint_auth_method}: this client "
                                                         "authenticates without a secret"})
        try:
            client, secret = self.clients.rotate_secret(client_id, grace_seconds, current.version)
        except StaleVersion:
            raise PreconditionFailed() from None
        if client is None:
            raise NotFound("client", client_id)
        audit.record("client.secret_rotated", client_id=client_id, actor=actor.label, grace_seconds=grace_seconds)
        return client, secret

    # -- checks ----------------------------------------------------------------
    def _current(self, client_id: str, version: str | None) -> OAuthClient:
        """The client as it is now, if it is still the version the caller read; its row version is
        what the store's write is then conditional on."""
        current = self.get(client_id)
        check_version(version, client_version(current))
        return current

    @staticmethod
    def _known(fields) -> dict:
        """RFC 7591 2 lets a server ignore unknown fields; an administrator's typo is refused instead."""
        if not isinstance(fields, dict):
            raise Invalid({"body": "must be a JSON object"})
        unknown = sorted(k for k in fields if k not in METADATA_FIELDS and k not in ADMIN_FIELDS
                         and k not in client_policy.UNSUPPORTED)
        if unknown:
            raise Invalid({name: "is not a member of this resource" for name in unknown})
        return dict(fields)

    @staticmethod
    def _mappings(value, refused: dict) -> list:
        """Claim mappings (idp/apis/claim_mappings.py) as stored; a reserved claim is refused."""
        try:
            return check_mappings(value)
        except InvalidMappings as exc:
            refused["claim_mappings"] = str(exc)
            return []

    @staticmethod
    def _trusted(value, refused: dict) -> bool:
        if type(value) is not bool:
            refused["trusted"] = "must be true or false"
            return False
        return value

    def _validate(self, actor: Actor, fields: dict, current_scope: str = "", refused: dict | None = None) -> dict:
        """Like a registration; the admin API's scopes only from an operator, or kept where an operator
        gave them (an admin API client cannot mint admin clients). refused: what the caller already
        found wrong, reported with the rest."""
        problems = [client_policy.MetadataProblem(name, detail) for name, detail in (refused or {}).items()]
        if actor.kind != "operator":
            problems += client_policy.admin_scope_problems(fields, current_scope)
        server_metadata = self.server_metadata()
        try:
            validated = client_policy.validate(fields, server_metadata, self.outbound, operator=True)
        except client_policy.InvalidMetadata as exc:
            problems += exc.problems
        if problems:
            raise _invalid(client_policy.InvalidMetadata(problems), server_metadata)
        return validated

    def choices(self) -> dict[str, tuple[str, ...]]:
        """The values each field of a fixed set may take on this server (what the console offers)."""
        server_metadata = self.server_metadata()
        return {name: client_policy.allowed_values(name, server_metadata) for name in client_policy.ENUMERATED}
