"""The scopes this server knows (discovery, the authorization server and registration read it):
its own, plus every scope a registered API defines (idp/apis/access.py)."""

from idp.plumbing.context import services
from idp.store.clients import ADMIN_SCOPES

# groups / roles: the RFC 9068 2.2.3.1 claims in the ID token and userinfo (idp/apis/access.py)
SCOPES_SUPPORTED = ["openid", "profile", "email", "offline_access", "groups", "roles"]
ADMIN_READ, ADMIN_WRITE = ADMIN_SCOPES  # the admin API's (issue 15): operator-granted, client_credentials only


def known_scopes() -> set[str]:
    return set(SCOPES_SUPPORTED) | services().api_access.known_scopes()


def all_known(values) -> bool:
    """Whether every value is ours or a registered API's; the API scopes are read only when needed."""
    return set(values) <= set(SCOPES_SUPPORTED) or set(values) <= known_scopes()


def understood_scope(scope: str | None) -> str | None:
    """An OpenID request's scope without the values we do not define: OIDC Core 3.1.2.1 says
    scope values that are not understood SHOULD be ignored (relying-party libraries ask for
    `address`, `phone` or their own by default). Plain OAuth requests keep theirs, so that an
    unknown scope there is still invalid_scope (RFC 6749 3.3)."""
    if scope is None:
        return None
    values = scope.split()
    if "openid" not in values:
        return scope
    if all_known(values):
        return " ".join(dict.fromkeys(values))
    known = known_scopes()
    return " ".join(v for v in dict.fromkeys(values) if v in known)
