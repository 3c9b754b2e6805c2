"""Searching the admin lists by substring (issue 34): the one check of a search text every surface
passes it through (the admin API's ?q=, the console's search box, `idp … list --query`), and the
capped count of its matches (idp/store/search.py holds the queries and why they stay cheap)."""

from __future__ import annotations

from idp.administration.errors import Invalid
from idp.store.search import COUNT_CAP, MAX_QUERY, count_matching

__all__ = ["COUNT_CAP", "MAX_QUERY", "check_query", "count_of"]


def check_query(query, errors: dict, name: str = "q") -> str | None:
    """The search text (None: no search), or `errors[name]` saying why it is not one."""
    if query is None:
        return None
    if not isinstance(query, str) or len(query) > MAX_QUERY or "\0" in query or not query.isprintable():
        errors[name] = f"text of at most {MAX_QUERY} printable characters"
        return None
    return query.strip() or None


def count_of(services, kind: str, query) -> int | None:
    """How many users, clients, apis or groups (`kind`) match `query`, up to COUNT_CAP + 1 (more
    than COUNT_CAP: the surface says so); None when there is no search (counting a whole table is
    not cheap: the lists page instead)."""
    errors: dict = {}
    text = check_query(query, errors)
    if errors:
        raise Invalid(errors)
    return None if text is None else count_matching(services.db, kind, text)
