"""OAuth error descriptions that quote a request stay within RFC 6749's character set.

error_description allows only %x20-21 / %x23-5B / %x5D-7E (RFC 6749 4.1.2.1, 5.2). authlib enforces
that by raising ValueError from OAuth2Error's constructor, and several messages (authlib's own:
"Redirect URI ... is not supported by client.", "response_type=... is not supported"; ours: an
unknown resource, a client metadata problem) quote what the client sent. A redirect URI, a
response_type, a response_mode or a resource with a quote or a non-ASCII letter in it therefore
turned an OAuth error into a 500 with a traceback, at /authorize, /par, /token and /connect/register
(found by the fuzz pass of issue 30). No library option does this, so it is written here, once, at
the class every OAuth error shares: each description is made to fit the set (any other character
becomes "?", and it is cut to a readable length) before authlib checks it, and when it is read.
"""

from __future__ import annotations

import functools
import re

from authlib.oauth2.base import OAuth2Error

_OUTSIDE = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")
MAX_LENGTH = 300


def fit(description):
    """description with every character RFC 6749 5.2 forbids replaced by "?" (None stays None)."""
    if not isinstance(description, str):
        return description
    text = _OUTSIDE.sub("?", description)
    return text if len(text) <= MAX_LENGTH else text[:MAX_LENGTH - 3] + "..."


def install() -> None:
    """Wrap OAuth2Error's constructor and description (idempotent: one app or many in a process)."""
    if getattr(OAuth2Error.__init__, "fits_rfc6749", False):
        return
    construct, describe = OAuth2Error.__init__, OAuth2Error.get_error_description

    @functools.wraps(construct)
    def __init__(self, description=None, *args, **kwargs):
        construct(self, fit(description), *args, **kwargs)

    @functools.wraps(describe)
    def get_error_description(self):
        return fit(describe(self))

    __init__.fits_rfc6749 = True
    OAuth2Error.__init__ = __init__
    OAuth2Error.get_error_description = get_error_description
