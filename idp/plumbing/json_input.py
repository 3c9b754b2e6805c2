"""JSON that arrives from outside (request bodies, parameters, token headers), parsed so that
input nested too deep is a ValueError like any other malformed JSON, never a server error.

The standard json module recurses once per array or object: input nested beyond the
interpreter's recursion limit (30,000 brackets fit in 60 KB) raises RecursionError, which no
caller expecting ValueError catches, so it became a 500 with a traceback, before any
authentication. RFC 8259 9 lets a parser limit nesting; here the limit is the parser's own,
and going past it is reported as malformed input. Every parse of request data goes through
`loads`: Flask's `request.get_json` through RequestJSONProvider (installed by the app
factory, so the registration endpoints, the admin API and authlib's Flask requests all use it),
the other readers by calling it.
"""

from __future__ import annotations

import json

from flask.json.provider import DefaultJSONProvider


class TooDeeplyNested(ValueError):
    """The JSON is nested deeper than it is read (RFC 8259 9)."""


def loads(data, **kwargs):
    """json.loads, with nesting too deep reported as TooDeeplyNested (a ValueError)."""
    try:
        return json.loads(data, **kwargs)
    except RecursionError:
        raise TooDeeplyNested("the JSON is nested too deeply") from None


class RequestJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading with `loads`: request.get_json(silent=True) is then None for such input,
    and request.get_json() a 400 Bad Request, as for any other malformed body."""

    def loads(self, s, **kwargs):
        return loads(s, **kwargs)
