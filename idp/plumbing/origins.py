"""Web origins (RFC 6454) of OAuth clients: which browser origins may read the answers of /token,
/revoke and /userinfo for a client (issue 30, 8).

A client's origins are those of its http(s) redirect URIs (a single-page app is served from where
it receives the code) plus the exact origins it lists in its `allowed_origins` metadata. Every
origin is parsed and re-serialised (lower-case scheme and host, default port dropped): a value is
accepted only when it already is that form, and only https, or http on a loopback host.
"""

from __future__ import annotations

from idp.plumbing.web_urls import parse_web_url, web_origin

MAX_ALLOWED_ORIGINS = 20


def origin_problem(value) -> str | None:
    """Why `value` is not an acceptable allowed origin, or None. The reason never quotes the value:
    it goes into OAuth error descriptions, which allow no control characters (RFC 6749 5.2)."""
    if not isinstance(value, str) or len(value) > 255:
        return "must be a string of at most 255 characters"
    try:
        parsed = parse_web_url(value)  # the one strict parser of client URLs (idp/plumbing/web_urls.py)
    except ValueError:
        parsed = None
    if parsed is None or parsed.origin != value:
        return "each must be an origin like https://app.example.com (scheme://host[:port], nothing else)"
    if not (parsed.scheme == "https" or parsed.loopback):
        return "each must be https (http only on a loopback host)"
    return None


def allowed_origins_problem(values) -> str | None:
    """Why an `allowed_origins` metadata value is refused, or None."""
    if not isinstance(values, list):
        return "allowed_origins must be an array of origins"
    if len(values) > MAX_ALLOWED_ORIGINS:
        return f"allowed_origins lists at most {MAX_ALLOWED_ORIGINS} origins"
    return next((problem for problem in map(origin_problem, values) if problem), None)


def client_origins(redirect_uris, metadata: dict) -> frozenset[str]:
    """The origins whose scripts may read this client's answers: its http(s) redirect URIs' and its
    allowed_origins (re-parsed: a stored value that is not an origin any more counts for nothing)."""
    found = {web_origin(uri) for uri in redirect_uris or ()}
    listed = metadata.get("allowed_origins") if isinstance(metadata, dict) else None
    found |= set(listed) if isinstance(listed, list) else set()
    return frozenset(value for value in found if value and origin_problem(value) is None)
