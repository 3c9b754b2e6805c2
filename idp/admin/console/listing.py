"""The console's searchable lists (issue 34): users, clients, APIs and groups found by any part of
their names (?q=), a keyset page at a time, with how many match (capped: counting is cheap only
for a search, idp/administration/search.py). The same services and checks as the admin API's ?q=."""

from __future__ import annotations

import dataclasses

from flask import abort, request

from idp.admin.console.pages import PAGE_SIZE, cursor_from_request, cursor_link
from idp.administration import Invalid, Page
from idp.administration.search import COUNT_CAP, MAX_QUERY, check_query, count_of
from idp.i18n import gettext as _
from idp.plumbing.context import services


@dataclasses.dataclass(frozen=True)
class Listing:
    items: list
    query: str
    count: int | None  # None: no search
    next_cursor: str | None
    first_page: bool

    @property
    def count_text(self) -> str | None:
        if self.count is None:
            return None
        if self.count > COUNT_CAP:
            return _("Found: more than %(count)s.", count=COUNT_CAP)
        return _("Found: %(count)s.", count=self.count)


def search_text() -> str:
    """?q=, checked as the service checks it: a rendered 400 page when it cannot be a search."""
    errors: dict = {}
    query = check_query(request.args.get("q", "")[:MAX_QUERY + 1], errors)
    if errors:
        abort(400, _("A search holds at most %(count)s printable characters.", count=MAX_QUERY))
    return query or ""


def searched(list_page, kind: str, **filters) -> Listing:
    """A page of list_page (a service's list, with q=) for ?q= and ?after=; a cursor that is not one
    of this list starts again at the first page."""
    query, after = search_text(), cursor_from_request()
    try:
        page: Page = list_page(q=query or None, after=after, limit=PAGE_SIZE, **filters)
    except Invalid:
        after = None
        page = list_page(q=query or None, limit=PAGE_SIZE, **filters)
    return Listing(page.items, query, count_of(services(), kind, query or None), cursor_link(page.next_key),
                   after is None)
