"""Resource indicators (RFC 8707) at the authorization, PAR and token endpoints; the rules of
what a token for an API carries are in idp/apis/access.py.

`resource` may be sent several times (RFC 8707 2), so it is exempt from the repeated-parameter
refusal; once read, a request's resources are kept space-separated in the stored parameters
(an absolute URI holds no space, and a value that does is refused here).
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import InvalidScopeError, OAuth2Error
from flask import g, request

from idp.apis.access import NothingGrantable, Target, UnknownTarget
from idp.oauth.scopes import ADMIN_SCOPES, SCOPES_SUPPORTED
from idp.organizations import tenancy
from idp.plumbing.context import services
from idp.store.apis import Invalid, check_identifier

PARAMETER = "resource"
SERVER_SCOPES = frozenset(SCOPES_SUPPORTED) | frozenset(ADMIN_SCOPES)  # ours, never an API's


class InvalidTargetError(OAuth2Error):
    """RFC 8707 2: "the requested resource is invalid, missing, unknown, or malformed", or not
    acceptable to the authorization server (here: not allowed to this client)."""

    error = "invalid_target"


def live_resources(oauth_request=None) -> list[str]:
    """Every `resource` value of the live HTTP request (query and form): from the authlib request
    when there is one (its payload holds both, in a view or in oauth/direct.py), else from Flask's."""
    if oauth_request is not None:
        return check_resources(list(oauth_request.payload.datalist.get(PARAMETER) or ()))
    return check_resources(request.args.getlist(PARAMETER) + request.form.getlist(PARAMETER))


def stored_resources(params) -> list[str]:
    """From kept parameters (space-separated) or a request object (RFC 9101: a string or an array)."""
    value = params.get(PARAMETER) or ""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return check_resources(value)
    if not isinstance(value, str):
        raise InvalidTargetError("resource is an absolute URI or an array of them (RFC 8707 2).")
    return check_resources(value.split())


def check_resources(values: list[str]) -> list[str]:
    try:
        return [check_identifier(v) if " " not in v else _malformed() for v in values]
    except Invalid as error:
        raise InvalidTargetError(str(error)) from None


def _malformed():
    raise Invalid("A resource is one absolute URI per parameter (RFC 8707 2).")


def targets_for(client_id: str, resources: list[str]) -> list[Target]:
    try:
        return services().api_access.targets(client_id, resources)
    except UnknownTarget as error:
        raise InvalidTargetError(str(error)) from None


def grantable_scope(client, scope: str | None, targets: list[Target], user_id: str | None,
                    effective: tuple | None = None) -> str:
    """The one cut of a token's scope, for every grant and every audience (idp/apis/access.py):
    invalid_scope when nothing asked can be granted."""
    try:
        return services().api_access.grantable(client, scope, targets, user_id, effective, SERVER_SCOPES)
    except NothingGrantable as error:
        raise InvalidScopeError(str(error)) from None


def user_grantable_scope(client, scope: str | None, targets: list[Target], user_id: str | None) -> str:
    """What a user is asked to grant (consent, device): without an API, the client's own scopes
    (client.get_allowed_scope), then the same cut as the token's; invalid_scope when nothing asked is left."""
    if not targets:
        allowed = client.get_allowed_scope(scope)
        if scope and not allowed:
            raise InvalidScopeError("None of the requested scopes can be granted to this client.")
        scope = allowed
    return grantable_scope(client, scope, targets, user_id)


def narrowed(granted, asked: list[str]) -> list[str]:
    try:
        return services().api_access.narrowed(granted, asked)
    except UnknownTarget as error:
        raise InvalidTargetError(str(error)) from None


class ApiResources:
    """Grant extension for authorization requests (authorize and PAR): after authlib validated the
    client, redirect URI and scope syntax, the request's resources pick the APIs, the scope is cut
    to what this client (and the signed-in user's roles) may have for them (without an API: the
    client's own scopes, cleared of every API's), and the targets are kept on the request for the code. Errors here
    redirect (RFC 8707 2: invalid_target; RFC 6749 4.1.2.1)."""

    def __call__(self, grant):
        grant.register_hook("after_validate_authorization_request_payload", self.apply)

    @staticmethod
    def apply(grant, redirect_uri):
        oauth_request = grant.request
        targets = targets_for(oauth_request.client.client_id, stored_resources(oauth_request.payload.data))
        oauth_request.api_targets = targets
        asked = oauth_request.payload.scope or oauth_request.scope
        if targets or asked:  # the code gets what the consent page shows (web/consent.py), no more
            user = getattr(oauth_request, "user", None)
            user_id = user.get_user_id() if user else None
            if user_id and tenancy.client_settings(services(), oauth_request.client.client_id)["usage"] != "none":
                # An organization's roles (issue 33) are known once it is chosen, after this: the
                # token's cut (grants/base.py) applies the roles held in it; here, no role cut.
                user_id = None
            oauth_request.scope = user_grantable_scope(oauth_request.client, asked, targets, user_id)


def request_targets() -> list[Target]:
    """The targets of the token request being answered (set by the grant), [] before APIs existed."""
    return g.get("api_targets") or []
