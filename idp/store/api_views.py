"""What idp/store/apis.py hands out and refuses: read-only views of registered APIs, client allowances
and roles, and the two errors of the registry (issue 21). Apart so the registry and its admin pages
(idp/store/api_pages.py) share them without importing each other."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from idp.store.api_models import Api, Role


class NotFound(Exception):
    """An API, client, group, role or user named in a request does not exist."""

    def __init__(self, kind: str, ident: str):
        super().__init__(f"no {kind} {ident}")
        self.kind, self.ident = kind, ident


class Invalid(Exception):
    """A value breaks a rule (not an absolute URI, a scope the API does not define, a group loop)."""


@dataclasses.dataclass(frozen=True)
class ApiView:
    id: str
    identifier: str
    name: str
    scopes: dict  # scope -> description
    access_token_ttl: int | None
    dpop_only: bool
    role_scopes: tuple = ()  # scopes a user's token carries only when one of their roles grants them
    resource_server: str | None = None  # the client_id this API introspects as
    version: int = 1  # the row's change counter: admin writes are conditional on it
    claim_mappings: tuple = ()  # issue 35: claims its access tokens carry (idp/apis/claim_mappings.py)


@dataclasses.dataclass(frozen=True)
class Allowance:
    api_id: str
    identifier: str
    scopes: list | None  # None: every scope the API defines
    is_default: bool
    client_id: str = ""


@dataclasses.dataclass(frozen=True)
class RoleView:
    id: str
    api_id: str
    name: str
    scopes: list
    description: str | None


def api_view(row: Api) -> ApiView:
    return ApiView(row.id, row.identifier, row.name, dict(row.scopes or {}), row.access_token_ttl, row.dpop_only,
                   tuple(row.role_scopes or ()), row.resource_server, row.version or 1,
                   tuple(row.claim_mappings or ()))


def role_view(row: Role) -> RoleView:
    return RoleView(row.id, row.api_id, row.name, list(row.scopes or []), row.description)


def check_identifier(identifier: str) -> str:
    """RFC 8707 2: the resource is an absolute URI without a fragment."""
    try:
        parts = urlsplit(identifier or "")
    except ValueError:  # "https://[::1" and the like
        raise Invalid("An API identifier must be an absolute URI without a fragment (RFC 8707 2).") from None
    if not parts.scheme or not (parts.netloc or parts.scheme == "urn") or parts.fragment or len(identifier) > 512:
        raise Invalid("An API identifier must be an absolute URI without a fragment (RFC 8707 2).")
    return identifier


def check_api_fields(identifier: str, scopes: dict | None, role_scopes, access_token_ttl: int | None) -> None:
    """The rules an API's fields keep, on creation and on every change."""
    check_identifier(identifier)
    if any(not s or " " in s or '"' in s or "\\" in s for s in scopes or {}):
        raise Invalid("A scope is a non-empty token without spaces, quotes or backslashes (RFC 6749 3.3).")
    if not set(role_scopes or ()) <= set(scopes or {}):
        raise Invalid(f"{identifier} does not define {sorted(set(role_scopes) - set(scopes or {}))}")
    if access_token_ttl is not None and access_token_ttl <= 0:
        raise Invalid("The access-token lifetime is a positive number of seconds.")
