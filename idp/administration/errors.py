"""What an administrative operation can refuse, whichever surface (API, CLI, console) asked.

The admin API maps them to RFC 9457 problem details (idp/admin/api/problems.py); the CLI prints them.
"""

from __future__ import annotations


class AdminError(Exception):
    """Base of the refusals below; never raised itself."""


class Invalid(AdminError):
    """Some fields are wrong: `errors` maps each field (or query parameter) to why; `allowed`, for a
    field whose values are a fixed set, lists them (the admin API's 400 shows them, RFC 9457 3.2)."""

    def __init__(self, errors: dict[str, str], allowed: dict[str, tuple[str, ...]] | None = None):
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in errors.items()))
        self.errors = dict(errors)
        self.allowed = {name: tuple(values) for name, values in (allowed or {}).items() if name in self.errors}


class NotFound(AdminError):
    """message: when "no <kind> <ident>" would not say it (a membership that does not exist)."""

    def __init__(self, kind: str, ident: str, message: str | None = None):
        super().__init__(message or f"no {kind} {ident}")
        self.kind, self.ident = kind, ident


class Duplicate(AdminError):
    """A value that must be unique (a user's email) is taken."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class Conflict(AdminError):
    """The resource's state forbids the change (the last administrator, a message already given up)."""


class PreconditionFailed(AdminError):
    """The resource changed since the caller read the version it names (a lost update prevented)."""

    def __init__(self, message: str = "the resource was changed since you read it: read it again"):
        super().__init__(message)


Stale = PreconditionFailed
