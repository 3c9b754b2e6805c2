"""Bounded, streamed listings for `idp users/clients/audit list`: pages fetched by keyset
(`after` the last row printed), each row printed as it arrives, never the whole table in memory."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import click

PAGE = 500


def limit_options(func):
    """--limit and --after, the same on every list command."""
    func = click.option("--after", default=None, help="cursor: the id printed last by the previous page")(func)
    return click.option("--limit", type=click.IntRange(min=1), default=None,
                        help="at most this many rows (default: all, fetched in pages)")(func)


def stream(fetch: Callable[[int, object], list], cursor_of: Callable[[object], object], limit: int | None,
           after=None) -> Iterator:
    """Rows from fetch(page_size, after) page by page until `limit` rows or the end."""
    left = limit
    while left is None or left > 0:
        size = PAGE if left is None else min(PAGE, left)
        rows = fetch(size, after)
        yield from rows
        if len(rows) < size:
            return
        after = cursor_of(rows[-1])
        if left is not None:
            left -= len(rows)


def or_none(rows: Iterable, nothing: str, err: bool = False) -> Iterator:
    """The rows, then `nothing` ("No clients.") if there were none: an empty list says so. err: on
    stderr (a --json listing's stdout stays JSON lines)."""
    empty = True
    for row in rows:
        empty = False
        yield row
    if empty:
        click.echo(nothing, err=err)
