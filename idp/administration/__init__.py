"""Administration: what the admin API, the `idp` CLI and the admin console do to users, clients,
keys and the audit trail, in one place below all three (issue 15).

Each operation takes the `Actor` it is done for (recorded in the audit event), validates its
input (`Invalid` names every wrong field), refuses what it cannot do (`NotFound`, `Duplicate`,
`PreconditionFailed` when the caller's version is stale) and leaves nothing half-done.

Lists are keyset pages: `after` is the `Page.next_key` of the page before (JSON values: a
surface may hand it out as an opaque cursor), so a page's cost never grows with the table.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

from idp.administration.errors import AdminError, Duplicate, Invalid, NotFound, PreconditionFailed, Stale

__all__ = ["Actor", "AdminError", "Duplicate", "Invalid", "NotFound", "Page", "PreconditionFailed", "Stale",
           "MAX_LIMIT", "DEFAULT_LIMIT", "check_limit", "page_of", "version_of", "check_version"]

DEFAULT_LIMIT, MAX_LIMIT = 50, 500


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who acts: an admin API client ("client"), an administrator signed in to the console ("user"),
    or an operator at the command line ("operator"). `organization`: the one organization this actor
    may administer (an admin API client limited to it, issue 33); None: the whole deployment."""

    kind: str
    id: str = ""
    organization: str | None = None

    @classmethod
    def client(cls, client_id: str) -> Actor:
        return cls("client", client_id)

    @classmethod
    def user(cls, user_id: str) -> Actor:
        return cls("user", user_id)

    @classmethod
    def operator(cls) -> Actor:
        return cls("operator")

    @property
    def label(self) -> str:
        """As the audit trail's `actor` column holds it: client:<id>, user:<id> or cli."""
        return "cli" if self.kind == "operator" else f"{self.kind}:{self.id}"


@dataclasses.dataclass(frozen=True)
class Page:
    items: list
    next_key: list | None  # None: this was the last page


def check_limit(limit) -> int:
    if type(limit) is not int or not 1 <= limit <= MAX_LIMIT:
        raise Invalid({"limit": f"an integer from 1 to {MAX_LIMIT}"})
    return limit


def page_of(rows: list, limit: int, key) -> Page:
    """rows: up to limit + 1 fetched; the extra one only says that there is a next page."""
    items = rows[:limit]
    return Page(items, key(items[-1]) if len(rows) > limit else None)


def version_of(*parts) -> str:
    """A resource's version (its ETag's value): a digest of what a client sees of it."""
    text = json.dumps(parts, default=str, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def check_version(expected: str | None, current: str) -> None:
    """None: the caller did not ask for a version check (the CLI, an unconditional operator action)."""
    if expected is not None and expected != current:
        raise PreconditionFailed()
