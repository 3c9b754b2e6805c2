"""The scopes this server knows (discovery, the authorization server and registration read it)."""

from idp.store.clients import ADMIN_SCOPES

SCOPES_SUPPORTED = ["openid", "profile", "email", "offline_access"]
ADMIN_READ, ADMIN_WRITE = ADMIN_SCOPES  # the admin API's (issue 15): operator-granted, client_credentials only


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
    return " ".join(v for v in dict.fromkeys(values) if v in SCOPES_SUPPORTED)
