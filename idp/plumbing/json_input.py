"""JSON that arrives from outside (request bodies, parameters, token headers), parsed so that
input nested too deep is a ValueError like any other malformed JSON, never a server error.

The standard json module recurses once per array or object: input nested beyond the
interpreter's recursion limit (30,000 brackets fit in 60 KB) raises RecursionError, which no
caller expecting ValueError catches, so it became a 500 with a traceback, before any
authentication; and input just under that limit still broke the code that walks what was
parsed recursively (the admin API's check for NUL characters). RFC 8259 9 lets a parser limit
nesting: MAX_DEPTH levels, far more than any document of the protocols here (client metadata
with a JWK Set nests 4 deep), and going past it is reported as malformed input. The standard
parser has no such limit, hence the walk below. Every parse of request data goes through
`loads`: Flask's `request.get_json` through RequestJSONProvider (installed by the app
factory, so the registration endpoints, the admin API and authlib's Flask requests all use it),
the other readers by calling it.
"""

from __future__ import annotations

import json

from flask.json.provider import DefaultJSONProvider


MAX_DEPTH = 64  # arrays and objects within each other


class TooDeeplyNested(ValueError):
    """The JSON is nested deeper than it is read (RFC 8259 9)."""


def loads(data, **kwargs):
    """json.loads, with nesting deeper than MAX_DEPTH reported as TooDeeplyNested (a ValueError)."""
    try:
        value = json.loads(data, **kwargs)
    except RecursionError:
        raise TooDeeplyNested("the JSON is nested too deeply") from None
    if not within_depth(value):
        raise TooDeeplyNested("the JSON is nested too deeply")
    return value


def within_depth(value, limit: int = MAX_DEPTH) -> bool:
    """Whether no array or object lies more than `limit` deep (walked without recursion)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        if depth > limit:
            return False
        pending.extend((child, depth + 1) for child in item if isinstance(child, (dict, list)))
    return True


class RequestJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading with `loads`: request.get_json(silent=True) is then None for such input,
    and request.get_json() a 400 Bad Request, as for any other malformed body."""

    def loads(self, s, **kwargs):
        return loads(s, **kwargs)


def has_nul(value) -> bool:
    """Whether a JSON value holds a NUL character anywhere (keys included): no text the database stores
    may hold one (PostgreSQL refuses it), so such input names nothing and is refused as it enters."""
    if isinstance(value, str):
        return "\0" in value
    if isinstance(value, list):
        return any(has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    return False
