"""Request parameters MUST NOT be included more than once (RFC 6749 3.1, 3.2): the endpoints
that read form or query parameters refuse a repeat with invalid_request. authlib checks this
only for a few authorization-request parameters, so every endpoint asks here first."""

from __future__ import annotations

import re

from authlib.oauth2.rfc6749 import InvalidRequestError
from flask import request

# error_description allows only %x20-21 / %x23-5B / %x5D-7E (RFC 6749 5.2): a parameter name
# outside that set (any bytes a client sent) is left out of the message, not echoed.
_NAMEABLE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def _repeated(name: str) -> InvalidRequestError:
    shown = f" '{name}'" if _NAMEABLE.fullmatch(name) else ""
    return InvalidRequestError(f"The parameter{shown} is included more than once (RFC 6749 3.2).")


# RFC 8707 2: "resource" MAY be included multiple times (one per API the token is for).
REPEATABLE = {"resource"}
# RFC 8693 2.1: so may "audience" in a token exchange (one per target service).
EXCHANGE_REPEATABLE = {"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "names": {"audience"}}


def refuse_repeated_parameters() -> None:
    repeatable = REPEATABLE
    if request.form.get("grant_type") == EXCHANGE_REPEATABLE["grant_type"]:
        repeatable = REPEATABLE | EXCHANGE_REPEATABLE["names"]
    for source in (request.args, request.form):
        for name, values in source.lists():
            if len(values) > 1 and name not in repeatable:
                raise _repeated(name)
    repeated = (set(request.args) & set(request.form)) - repeatable
    if repeated:
        raise _repeated(sorted(repeated)[0])
