"""RFC 9457 problem details: every refusal of the admin API, whatever raised it.

`problem()` builds one; `for_admin_error()` maps the domain's refusals (idp/administration/errors.py);
`for_status()` answers what Flask or werkzeug refused before a view ran (404, 405, 413, 503 …).
"""

from __future__ import annotations

from flask import Response, json
from werkzeug.http import HTTP_STATUS_CODES

from idp.administration.errors import AdminError, Conflict, Duplicate, Invalid, NotFound, PreconditionFailed

MEDIA_TYPE = "application/problem+json"


def problem(status: int, detail: str = "", *, code: str | None = None, headers=None, **members) -> Response:
    """`type` about:blank and the status's own title (RFC 9457 4.2.1); `code` a short machine name
    (an extension member, 3.2); `errors`, for invalid input, names each field and why."""
    body = {"type": "about:blank", "title": HTTP_STATUS_CODES.get(status, "Error"), "status": status}
    if detail:
        body["detail"] = detail
    if code:
        body["code"] = code
    body.update(members)
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    response.headers["Cache-Control"] = "no-store"
    for name, value in headers or ():
        response.headers[name] = value
    return response


def invalid(errors: dict[str, str], body_fields: bool = True, allowed: dict | None = None) -> Response:
    """400 naming every wrong field: `errors: [{"name", "detail", "pointer"}]` (RFC 9457 3, JSON
    Pointer RFC 6901 for members of the request body; query parameters have no pointer), and
    `allowed_values` where the field takes one of a fixed set (grant types, methods, algorithms …)."""
    query = {"cursor", "limit", "search", "disabled", "since", "until", "user_id", "client_id", "action", "actor"}
    items = []
    for name, reason in sorted(errors.items()):
        item = {"name": name, "detail": reason}
        if body_fields and name not in query and name != "body":
            item["pointer"] = "/" + name.replace("~", "~0").replace("/", "~1")
        if (allowed or {}).get(name):
            item["allowed_values"] = list(allowed[name])
        items.append(item)
    return problem(400, "The request is not valid: see errors.", code="invalid", errors=items)


def for_admin_error(error: AdminError) -> Response:
    if isinstance(error, Invalid):
        return invalid(error.errors, allowed=error.allowed)
    if isinstance(error, NotFound):
        return problem(404, str(error), code="not_found")
    if isinstance(error, Duplicate):
        return problem(409, str(error), code="duplicate", errors=[{"name": error.field, "detail": str(error)}])
    if isinstance(error, Conflict):
        return problem(409, str(error), code="conflict")
    if isinstance(error, PreconditionFailed):
        return problem(412, str(error), code="precondition_failed")
    return problem(400, str(error), code="refused")


def for_status(status: int, description: str = "") -> Response:
    response = problem(status, description)
    if status == 503:
        response.headers["Retry-After"] = "5"
    return response
