"""Registered APIs (resource servers), their roles and the clients allowed them, as an administrator
manages them: the admin API's /apis and `idp apis` / `idp roles` (issue 21).

An API's identifier is the `resource` a client asks for (RFC 8707 2) and the `aud` of the access
tokens issued for it (RFC 9068 3). Every field is checked here and named when wrong; every change
is audited with its Actor and, for a change of an existing API, conditional on the version the
caller read (ETag / If-Match: the store's UPDATE and DELETE are conditional on the row version).
Groups are idp/administration/groups.py.
"""

from __future__ import annotations

import contextlib
import re

from idp.apis.claim_mappings import InvalidMappings, check_mappings
from idp.administration import DEFAULT_LIMIT, Actor, Page, check_limit, check_version, page_of, version_of
from idp.administration.errors import Duplicate, Invalid, NotFound, PreconditionFailed
from idp.administration.search import check_query
from idp.observability import audit
from idp.store import apis as store
from idp.store.api_views import Allowance, ApiView, RoleView
from idp.store.errors import Conflict, StaleVersion

API_FIELDS = ("identifier", "name", "scopes", "role_scopes", "access_token_ttl", "dpop_only", "resource_server",
              "claim_mappings")
ROLE_FIELDS = ("name", "scopes", "description")
MAX_NAME, MAX_DESCRIPTION, MAX_SCOPES, MAX_SCOPE = 255, 1000, 100, 128
MAX_TTL = 366 * 86400  # an access token living longer than a year is a mistake, and the column is 32-bit
MAX_CLIENT_ID = 64
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]{1,%d}" % MAX_SCOPE)  # RFC 6749 3.3 scope-token


def api_version(api: ApiView) -> str:
    """Its ETag's value: the row's change counter and its id (a deleted and recreated API never matches)."""
    return version_of("api", api.id, api.version)


def api_document(api: ApiView) -> dict:
    return {"id": api.id, "identifier": api.identifier, "name": api.name, "scopes": dict(api.scopes),
            "role_scopes": list(api.role_scopes), "access_token_ttl": api.access_token_ttl,
            "dpop_only": api.dpop_only, "resource_server": api.resource_server,
            "claim_mappings": [dict(m) for m in api.claim_mappings]}


def role_document(role: RoleView) -> dict:
    return {"id": role.id, "name": role.name, "scopes": list(role.scopes), "description": role.description}


def allowance_document(allowance: Allowance) -> dict:
    return {"client_id": allowance.client_id, "scopes": allowance.scopes, "default": allowance.is_default}


@contextlib.contextmanager
def registry_refusals(invalid: str, duplicate: tuple[str, str] | None = None, missing: str | None = None):
    """The registry's refusals as the administration's: its Invalid names the field `invalid`, a taken
    unique value is Duplicate(*duplicate), a missing row NotFound, or Invalid naming `missing` when
    that row is named by a member of the body rather than by the path."""
    try:
        yield
    except store.Invalid as exc:
        raise Invalid({invalid: str(exc)}) from None
    except store.NotFound as exc:
        if missing:
            raise Invalid({missing: str(exc)}) from None
        raise NotFound(exc.kind, exc.ident) from None
    except Conflict:
        raise Duplicate(*(duplicate or (invalid, "it already exists"))) from None


def key_after(after) -> str:
    """A keyset page's `after` ([last key] of the page before) as the store takes it ("" for the first)."""
    if after is None:
        return ""
    if isinstance(after, list) and len(after) == 1 and isinstance(after[0], str) and len(after[0]) <= 1024:
        return after[0]
    raise Invalid({"cursor": "not a cursor of this list"})


def searched(q) -> str | None:
    """A list's search text, checked (Invalid naming `q`)."""
    errors: dict = {}
    q = check_query(q, errors)
    if errors:
        raise Invalid(errors)
    return q


def storable(value: str) -> bool:
    """Text the database can hold: no NUL, no lone surrogate (JSON may carry "\\ud800")."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\0" not in value


def text(errors: dict, name: str, value, limit: int = MAX_NAME, *, nullable: bool = False) -> None:
    if value is None and nullable:
        return
    if not isinstance(value, str) or not value.strip() or len(value) > limit or not storable(value):
        errors[name] = f"text of 1 to {limit} characters" + (", or null" if nullable else "")


def scope_names(errors: dict, name: str, value, *, nullable: bool = False) -> None:
    if value is None and nullable:
        return
    if (not isinstance(value, list) or len(value) > MAX_SCOPES
            or not all(isinstance(s, str) and SCOPE_TOKEN.fullmatch(s) for s in value)):
        errors[name] = (f"an array of at most {MAX_SCOPES} scope-tokens (RFC 6749 3.3)"
                        + (", or null" if nullable else ""))


def check_api_fields(fields, required: tuple = ()) -> dict:
    """Every wrong member of an API's JSON, at once."""
    if not isinstance(fields, dict):
        raise Invalid({"body": "must be a JSON object"})
    errors = {name: "is not a member of this resource" for name in fields if name not in API_FIELDS}
    errors.update({name: "is required" for name in required if name not in fields})
    if "identifier" in fields:
        try:
            identifier = fields["identifier"]
            store.check_identifier(identifier if isinstance(identifier, str) and storable(identifier) else "")
        except store.Invalid as exc:
            errors["identifier"] = str(exc)
    if "name" in fields:
        text(errors, "name", fields["name"])
    scopes = fields.get("scopes", {})
    if not isinstance(scopes, dict) or len(scopes) > MAX_SCOPES or not all(
            SCOPE_TOKEN.fullmatch(k) and isinstance(v, str) and len(v) <= MAX_DESCRIPTION and storable(v)
            for k, v in scopes.items()):
        errors["scopes"] = (f"an object of at most {MAX_SCOPES} scopes, each a scope-token (RFC 6749 3.3) of at "
                            f"most {MAX_SCOPE} characters to a description of at most {MAX_DESCRIPTION}")
    if "role_scopes" in fields:
        scope_names(errors, "role_scopes", fields["role_scopes"], nullable=True)
    ttl = fields.get("access_token_ttl")
    if ttl is not None and not (type(ttl) is int and 0 < ttl <= MAX_TTL):
        errors["access_token_ttl"] = f"seconds, an integer from 1 to {MAX_TTL}, or null"
    if type(fields.get("dpop_only", False)) is not bool:
        errors["dpop_only"] = "true or false"
    if "resource_server" in fields:
        text(errors, "resource_server", fields["resource_server"], MAX_CLIENT_ID, nullable=True)
    fields = dict(fields)
    if "claim_mappings" in fields:
        try:
            fields["claim_mappings"] = check_mappings(fields["claim_mappings"])
        except InvalidMappings as exc:
            errors["claim_mappings"] = str(exc)
    if errors:
        raise Invalid(errors)
    return fields


class ApiAdmin:
    def __init__(self, services):
        self.registry = services.apis

    # -- APIs ---------------------------------------------------------------------
    def list(self, *, after: list | None = None, limit: int = DEFAULT_LIMIT, q: str | None = None) -> Page:
        """By identifier; `after`: the previous page's next_key ([identifier]); `q`: text the name or
        identifier holds (idp/administration/search.py)."""
        check_limit(limit)
        rows = self.registry.apis(after=key_after(after), limit=limit + 1, contains=searched(q))
        return page_of(rows, limit, lambda api: [api.identifier])

    def get(self, api_id) -> ApiView:
        findable = isinstance(api_id, str) and len(api_id) <= 64 and storable(api_id)  # NUL: PostgreSQL refuses it
        api = self.registry.api_by_id(api_id) if findable else None
        if api is None:
            raise NotFound("API", str(api_id).replace("\0", ""))
        return api

    def by_identifier(self, identifier: str) -> ApiView:
        api = self.registry.api(identifier) if isinstance(identifier, str) and storable(identifier) else None
        if api is None:
            raise NotFound("API", str(identifier).replace("\0", ""))
        return api

    def create(self, actor: Actor, fields: dict) -> ApiView:
        fields = check_api_fields(fields, required=("identifier", "name"))
        with registry_refusals("role_scopes", ("identifier", f"an API {fields['identifier']} already exists"),
                               "resource_server"):
            api = self.registry.create_api(fields["identifier"], fields["name"].strip(), fields.get("scopes"),
                                           fields.get("access_token_ttl"), fields.get("dpop_only", False),
                                           fields.get("role_scopes"), fields.get("resource_server"),
                                           fields.get("claim_mappings"))
        audit.record("api.created", actor=actor.label, api=api.identifier, api_id=api.id, scopes=sorted(api.scopes))
        return api

    def update(self, actor: Actor, api_id: str, changes: dict, version: str | None = None) -> ApiView:
        """A merge patch (RFC 7396) of API_FIELDS; `version`: the ETag the caller read (None: the CLI)."""
        changes = check_api_fields(changes)
        current = self.get(api_id)
        check_version(version, api_version(current))
        if "name" in changes:
            changes["name"] = changes["name"].strip()
        try:
            with registry_refusals("scopes" if "scopes" in changes else "role_scopes",
                                   ("identifier", f"an API {changes.get('identifier')} already exists"),
                                   "resource_server"):
                api = self.registry.update_api(current.id, current.version, **changes)
        except StaleVersion:
            raise PreconditionFailed() from None
        if api is None:
            raise NotFound("API", api_id)
        before, after = api_document(current), api_document(api)
        audit.record("api.updated", actor=actor.label, api=api.identifier, api_id=api.id,
                     changed=sorted(k for k in before if before[k] != after[k]))
        return api

    def delete(self, actor: Actor, api_id: str, version: str | None = None) -> None:
        """Its roles, their assignments and its clients' allowances go with it; tokens already issued
        for it stay valid until they expire (RFC 9068 access tokens are checked locally)."""
        current = self.get(api_id)
        check_version(version, api_version(current))
        try:
            deleted = self.registry.delete_api(current.identifier, current.version if version else None)
        except StaleVersion:
            raise PreconditionFailed() from None
        if not deleted:
            raise NotFound("API", api_id)
        audit.record("api.deleted", actor=actor.label, api=current.identifier, api_id=current.id)

    # -- roles ----------------------------------------------------------------------
    def roles(self, api_id: str, *, after: list | None = None, limit: int = DEFAULT_LIMIT) -> Page:
        check_limit(limit)
        api = self.get(api_id)
        rows = self.registry.roles(api.identifier, after=key_after(after), limit=limit + 1)
        return page_of(rows, limit, lambda role: [role.name])

    def add_role(self, actor: Actor, api_id: str, fields: dict) -> RoleView:
        """A role: a label the API checks in the token's `roles` (RFC 9068 2.2.3.1), standing for scopes."""
        if not isinstance(fields, dict):
            raise Invalid({"body": "must be a JSON object"})
        errors = {name: "is not a member of this resource" for name in fields if name not in ROLE_FIELDS}
        text(errors, "name", fields.get("name"))
        if "name" not in errors and "/" in fields["name"]:
            errors["name"] = "a label without '/' (it names the role in a path)"
        scope_names(errors, "scopes", fields.get("scopes", []))
        text(errors, "description", fields.get("description"), MAX_DESCRIPTION, nullable=True)
        if errors:
            raise Invalid(errors)
        api = self.get(api_id)
        with registry_refusals("scopes", ("name", f"{api.identifier} has a role {fields['name']}")):
            role = self.registry.create_role(api.identifier, fields["name"], fields.get("scopes", []),
                                             fields.get("description"))
        audit.record("role.created", actor=actor.label, api=api.identifier, role=role.name, scopes=role.scopes)
        return role

    def remove_role(self, actor: Actor, api_id: str, name: str) -> None:
        """The role and every assignment of it."""
        api = self.get(api_id)
        with registry_refusals("name"):
            self.registry.delete_role(api.identifier, name)
        audit.record("role.deleted", actor=actor.label, api=api.identifier, role=name)

    def assign(self, actor: Actor, api_id: str, role: str, *, user_id: str | None = None,
               group: str | None = None) -> None:
        """The role to a user or to a group (name); the next token issued for the API carries it."""
        api = self.get(api_id)
        with registry_refusals("role"):
            self.registry.assign(api.identifier, role, user_id=user_id, group=group)
        audit.record("role.assigned", actor=actor.label, user_id=user_id, api=api.identifier, role=role, group=group)

    def unassign(self, actor: Actor, api_id: str, role: str, *, user_id: str | None = None,
                 group: str | None = None) -> None:
        api = self.get(api_id)
        with registry_refusals("role"):
            taken = self.registry.unassign(api.identifier, role, user_id=user_id, group=group)
        if not taken:
            holder = f"group {group}" if group is not None else f"user {user_id}"
            raise NotFound("assignment", role, f"{holder} does not hold {role}")
        audit.record("role.unassigned", actor=actor.label, user_id=user_id, api=api.identifier, role=role,
                     group=group)

    # -- the clients allowed an API (RFC 8707: the resources a client may ask for) --------------
    def clients(self, api_id: str, *, after: list | None = None, limit: int = DEFAULT_LIMIT) -> Page:
        check_limit(limit)
        api = self.get(api_id)
        rows = self.registry.clients_of(api.id, after=key_after(after), limit=limit + 1)
        return page_of(rows, limit, lambda allowance: [allowance.client_id])

    def grant(self, actor: Actor, api_id: str, client_id: str, scopes: list | None = None,
              default: bool = False) -> Allowance:
        """The client may ask tokens for the API (only `scopes` of it; None: every scope it defines);
        `default`: the API it gets without `resource`."""
        errors = {}
        scope_names(errors, "scopes", scopes, nullable=True)
        if type(default) is not bool:
            errors["default"] = "true or false"
        if errors:
            raise Invalid(errors)
        api = self.get(api_id)
        with registry_refusals("scopes"):
            self.registry.allow(api.identifier, client_id, scopes, default=default)
        audit.record("api.client_allowed", actor=actor.label, client_id=client_id, api=api.identifier,
                     scopes=scopes, default=default)
        return Allowance(api.id, api.identifier, scopes, default, client_id)

    def deny(self, actor: Actor, api_id: str, client_id: str) -> None:
        """The client may no longer ask tokens for the API; its tokens already issued run out on their own."""
        api = self.get(api_id)
        if not self.registry.disallow(api.identifier, client_id):
            raise NotFound("allowance", client_id, f"client {client_id} is not allowed {api.identifier}")
        audit.record("api.client_disallowed", actor=actor.label, client_id=client_id, api=api.identifier)
