"""Errors every repository may raise."""


class Conflict(Exception):
    """A unique value (email, client_id) already exists."""
