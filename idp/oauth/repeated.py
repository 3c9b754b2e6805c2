"""Request parameters MUST NOT be included more than once (RFC 6749 3.1, 3.2): the endpoints
that read form or query parameters refuse a repeat with invalid_request. authlib checks this
only for a few authorization-request parameters, so every endpoint asks here first."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import InvalidRequestError
from flask import request


def refuse_repeated_parameters() -> None:
    for source in (request.args, request.form):
        for name, values in source.lists():
            if len(values) > 1:
                raise InvalidRequestError(f"The parameter '{name}' is included more than once (RFC 6749 3.2).")
    repeated = set(request.args) & set(request.form)
    if repeated:
        raise InvalidRequestError(f"The parameter '{sorted(repeated)[0]}' is included more than once (RFC 6749 3.2).")
