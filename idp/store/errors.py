"""Errors every repository may raise."""


class Conflict(Exception):
    """A unique value (email, client_id) already exists."""


class StaleVersion(Exception):
    """The row changed since the caller read the version it expected (optimistic concurrency)."""
