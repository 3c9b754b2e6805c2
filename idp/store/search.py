"""Substring search of the admin lists (issue 34): `lower(column) LIKE '%text%'`, the same on
SQLite and PostgreSQL, and a count of the matches that stops at a cap.

On PostgreSQL migration 0023 indexes each searched expression with a pg_trgm GIN index (when the
extension can be installed), so a search reads the index's candidate rows instead of the whole
table; without pg_trgm (or on SQLite) the same query still answers, by a scan. See
docs/administration.md, "Searching".
"""

from __future__ import annotations

from sqlalchemy import func, or_, select

from idp.store.api_models import Api, Group
from idp.store.models import Client, User

MAX_QUERY = 320  # the longest email: no searched column holds more
COUNT_CAP = 1000  # a count beyond it says "more than 1000": counting millions is not cheap


def like_pattern(text: str) -> str:
    """`text` as a LIKE pattern matching it anywhere, its own % _ and \\ taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def containing(text: str, *columns):
    """The condition: one of `columns` holds `text` (case-insensitively)."""
    pattern = like_pattern(text)
    return or_(*(func.lower(column).like(pattern, escape="\\") for column in columns))


# What each list searches: the columns migration 0023 indexes (lower(column) gin_trgm_ops).
SEARCHED = {"users": (User, (User.email, User.name)), "clients": (Client, (Client.name, Client.client_id)),
            "apis": (Api, (Api.name, Api.identifier)), "groups": (Group, (Group.name,))}


def matching(kind: str, text: str):
    """The condition of a search of `kind` (a key of SEARCHED) for `text`."""
    return containing(text, *SEARCHED[kind][1])


def count_matching(db, kind: str, text: str, cap: int = COUNT_CAP) -> int:
    """How many rows of `kind` match `text`, counting at most cap + 1 (more: "more than cap")."""
    model = SEARCHED[kind][0]
    limited = select(1).select_from(model).where(matching(kind, text)).limit(cap + 1).subquery()
    with db.lagging_read() as session:
        return session.scalar(select(func.count()).select_from(limited)) or 0
