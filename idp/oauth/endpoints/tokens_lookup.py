"""Finding a presented token, shared by introspection and revocation."""

from __future__ import annotations

from idp.plumbing.context import services


def looks_like_jwt(value: str) -> bool:
    return value.count(".") == 2


def find_token(value: str, hint: str | None):
    """Access tokens are JWTs we verify; refresh tokens are opaque rows. The hint only orders the search."""
    tokens = services().tokens
    if not value or len(value) > 8192:
        return None
    if looks_like_jwt(value) and hint != "refresh_token":
        return tokens.validate_access_token(value)
    if not looks_like_jwt(value):
        return tokens.find_refresh(value)
    return tokens.validate_access_token(value)
