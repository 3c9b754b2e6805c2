"""What every admin API route shares: the blueprint, authentication by the IdP's own access
tokens, JSON bodies, ETag / If-Match, cursors. A module adds routes like this:

    from idp.admin.api.framework import READ, WRITE, bp, current_actor, json_body, requires

    @bp.get("/things/<thing_id>")
    @requires(READ)
    def get_thing(thing_id):
        thing = ThingAdmin(services()).get(thing_id)
        return resource(thing_json(thing), thing_version(thing))

Domain refusals (idp/administration/errors.py) raised in a view become problem details.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import logging

from authlib.integrations.flask_oauth2.requests import FlaskJsonRequest
from authlib.oauth2.base import OAuth2Error
from authlib.oauth2.rfc6750 import InsufficientScopeError
from flask import Blueprint, current_app, g, jsonify, request

from idp.admin.api.problems import for_admin_error, problem
from idp.administration import DEFAULT_LIMIT, MAX_LIMIT, Actor, Page
from idp.administration.errors import AdminError, Invalid, NotFound
from idp.administration.search import COUNT_CAP, count_of
from idp.oauth.scopes import ADMIN_READ, ADMIN_WRITE
from idp.organizations import tenancy
from idp.observability import audit
from idp.observability.metrics import ADMIN_RATE_LIMITED
from idp.plumbing import json_input
from idp.plumbing.context import bearer_protector, services

PREFIX = "/admin/api/v1"
READ, WRITE = ADMIN_READ, ADMIN_WRITE
bp = Blueprint("admin_api", __name__, url_prefix=PREFIX)
log = logging.getLogger(__name__)


@bp.errorhandler(AdminError)
def _refused(error: AdminError):
    return for_admin_error(error)


@bp.after_request
def _no_store(response):
    response.headers.setdefault("Cache-Control", "no-store")
    return response


# -- authentication (RFC 6750; RFC 9449 for DPoP-bound tokens) ---------------------
def _challenge(scope: str, error: OAuth2Error | None = None) -> list[tuple[str, str]]:
    """WWW-Authenticate as RFC 6750 3 writes it (a DPoP error keeps its own DPoP challenge)."""
    if error is not None:
        for name, value in error.get_headers():
            if name.lower() == "www-authenticate" and value.startswith("DPoP "):
                return [(name, value)] + [(n, v) for n, v in error.get_headers() if n == "DPoP-Nonce"]
    parts = ['realm="admin"']
    if error is not None:
        parts.append(f'error="{error.error}"')
    parts.append(f'scope="{scope}"')
    return [("WWW-Authenticate", "Bearer " + ", ".join(parts))]


def _authenticate(scope: str):
    """The calling admin client's Actor, or the problem response that refuses it: 401 without a
    valid token, 403 insufficient_scope when the token (or the client, since) lacks `scope`."""
    authorization = request.headers.get("Authorization", "")
    if not authorization.strip():
        return problem(401, "An access token is required (RFC 6750).", code="missing_token",
                       headers=_challenge(scope))
    try:
        token = bearer_protector().validate_request([scope], FlaskJsonRequest(request))
    except OAuth2Error as error:
        code = error.error if error.error != "missing_authorization" else "invalid_token"
        return problem(error.status_code if error.status_code in (400, 401, 403) else 401,
                       error.get_error_description() or "", code=code, headers=_challenge(scope, error))
    client_id = token.claims.get("client_id")
    client = services().clients.get(client_id) if isinstance(client_id, str) else None
    if client is None or token.claims.get("sub") != client_id:  # a user's token never carries admin scopes
        error = InsufficientScopeError()
        return problem(403, "This token is not an admin client's own.", code="insufficient_scope",
                       headers=_challenge(scope, error))
    if scope not in client.scope.split():  # taken from the client since the token was issued
        return problem(403, f"The client is no longer granted {scope}.", code="insufficient_scope",
                       headers=_challenge(scope, InsufficientScopeError()))
    return Actor.client(client_id)


def _rate_limited(actor: Actor):
    """429 when the client spent its budget (ADMIN_API_RATE_LIMIT per ADMIN_API_RATE_WINDOW); the
    first refusal of a window is an audit event, every refusal a metric."""
    budget = current_app.extensions.get("idp_admin_budget")
    if budget is None:
        return None
    wait, first = budget.spend(actor.id)
    if wait is None:
        return None
    ADMIN_RATE_LIMITED.inc()
    if first:
        audit.record("admin_api.rate_limited", client_id=actor.id, actor=actor.label, retry_after=wait)
    return problem(429, "Too many requests from this client: wait, then retry.", code="rate_limited",
                   headers=[("Retry-After", str(wait))])


def requires(scope: str, *, tenant: bool = False):
    """The route needs a token with `scope` (READ for reads, WRITE for writes); the view reads the
    caller with current_actor(). tenant=True: a route whose service layer confines an actor limited
    to one organization (issue 33); every other route is the deployment's, and such an actor finds
    nothing there (404, as if no resource existed)."""
    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            actor = _authenticate(scope)
            if not isinstance(actor, Actor):
                return actor
            actor = tenancy.confined(services(), actor)
            if actor.organization is not None and not tenant:
                raise NotFound("resource", request.path.replace("\0", ""))
            refused = _rate_limited(actor)
            if refused is not None:
                return refused
            g.admin_actor = actor
            if any(json_input.has_nul(value) for value in kwargs.values()):
                raise NotFound("resource", request.path.replace("\0", ""))
            bad = sorted({name for name, value in request.args.items(multi=True) if json_input.has_nul(value)})
            if bad:
                raise Invalid({name: "must not contain NUL characters" for name in bad})
            return view(*args, **kwargs)
        return guarded
    return decorate


def current_actor() -> Actor:
    return g.admin_actor


# -- bodies --------------------------------------------------------------------------
JSON_TYPES = {str: "a string", bool: "true or false", int: "an integer", dict: "an object", list: "an array"}


def json_body(fields: dict[str, tuple], required: tuple[str, ...] = ()) -> dict:
    """The request's JSON object, each member checked against `fields` (name -> allowed Python
    types, None meaning null is allowed). 415 when the body is not JSON (raised as a problem
    response); Invalid naming unknown members, members of the wrong type and missing ones."""
    if not request.is_json:
        raise UnsupportedMediaType()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid({"body": "must be a JSON object"})
    errors = {}
    for name, value in body.items():
        allowed = fields.get(name)
        if allowed is None:
            errors[name] = "is not a member of this resource"
        elif json_input.has_nul(value):
            errors[name] = "must not contain NUL characters"
        elif not any(value is None if kind is None else type(value) is kind for kind in allowed):
            errors[name] = " or ".join("null" if kind is None else JSON_TYPES[kind] for kind in allowed)
            errors[name] = "must be " + errors[name]
    for name in required:
        if name not in body:
            errors[name] = "is required"
    if errors:
        raise Invalid(errors)
    return body


class UnsupportedMediaType(AdminError):
    pass


@bp.errorhandler(UnsupportedMediaType)
def _not_json(error):
    return problem(415, "The body must be JSON (Content-Type: application/json).", code="unsupported_media_type",
                   headers=[("Accept-Patch", "application/json, application/merge-patch+json")])


# -- ETag and If-Match (RFC 9110 8.8.3, 13.1.1; RFC 6585 3) ------------------------------
class PreconditionRequired(AdminError):
    pass


@bp.errorhandler(PreconditionRequired)
def _precondition_required(error):
    return problem(428, "This request must be conditional: send If-Match with the resource's ETag.",
                   code="precondition_required")


def etag(version: str) -> str:
    return f'"{version}"'


def if_match() -> str:
    """The version the caller says it changes (If-Match: "<version>"), PreconditionRequired without
    one. `*` (any version) is not accepted: an admin writes what it has read. A list of ETags, or
    a weak one, can never match this strong version: it answers 412."""
    value = request.headers.get("If-Match", "").strip()
    if not value:
        raise PreconditionRequired()
    if len(value) >= 2 and value[0] == value[-1] == '"' and '"' not in value[1:-1]:
        return value[1:-1]
    return "\0"  # matches no version: PreconditionFailed from the domain


def resource(body: dict, version: str, status: int = 200, location: str | None = None):
    response = jsonify(body)
    response.status_code = status
    response.headers["ETag"] = etag(version)
    if location:
        response.headers["Location"] = location
    return response


# -- cursors (keyset pagination) ---------------------------------------------------
def encode_cursor(key: list) -> str:
    """Opaque to clients: base64url (no padding) of the last item's sort key as JSON."""
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).rstrip(b"=").decode()


def decode_cursor(value: str) -> list:
    """The sort key a cursor holds; Invalid (400, naming `cursor`) when it is not one of ours."""
    try:
        if len(value) > 2048:
            raise ValueError
        key = json_input.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Invalid({"cursor": "not a cursor of this list"}) from None
    if not isinstance(key, list) or json_input.has_nul(key):
        raise Invalid({"cursor": "not a cursor of this list"})
    return key


def page_args() -> dict:
    """?limit= (default 50, at most 500) and ?cursor= as the domain's list() takes them."""
    errors, args = {}, {"limit": DEFAULT_LIMIT, "after": None}
    raw_limit = request.args.get("limit")
    if raw_limit is not None:
        if not (raw_limit.isascii() and raw_limit.isdigit()) or not 1 <= int(raw_limit) <= MAX_LIMIT:
            errors["limit"] = f"an integer from 1 to {MAX_LIMIT}"
        else:
            args["limit"] = int(raw_limit)
    cursor = request.args.get("cursor")
    if cursor is not None:
        try:
            args["after"] = decode_cursor(cursor)
        except Invalid as error:
            errors.update(error.errors)
    if errors:
        raise Invalid(errors)
    return args


def query_flag(name: str) -> bool | None:
    value = request.args.get(name)
    if value is None:
        return None
    if value not in ("true", "false"):
        raise Invalid({name: "true or false"})
    return value == "true"


def page_response(page: Page, item_json, count: int | None = None):
    """The page as JSON; `count` (a search's capped count, idp/administration/search.py): `count`,
    at most COUNT_CAP, and `count_capped` true when more match."""
    body = {"items": [item_json(item) for item in page.items],
            "next_cursor": encode_cursor(page.next_key) if page.next_key is not None else None}
    if count is not None:
        body.update(count=min(count, COUNT_CAP), count_capped=count > COUNT_CAP)
    return jsonify(body)


def searched_page(list_page, kind: str, item_json, **filters):
    """A list that ?q= searches (users, clients, apis, groups): the page of matches, with their count
    (which counts q alone: none when another filter narrows the list too)."""
    query = request.args.get("q")
    page = list_page(q=query, **filters, **page_args())
    narrowed = any(value is not None for value in filters.values())
    return page_response(page, item_json, None if narrowed else count_of(services(), kind, query))
