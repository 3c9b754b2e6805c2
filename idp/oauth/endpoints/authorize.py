"""The authorization endpoint (RFC 6749 4.1.1, OpenID Connect Core 3.1.2).

1. the request: fresh from the relying party (only the parameters defined here are kept, within a
   size cap: oauth/requests.py) — a pushed request_uri (RFC 9126) or a signed
   request object (RFC 9101) stands for its parameters; PAR required for the client or the
   server -> error page — or resumed after login or consent; claims asked for in `claims`
   bring in their scopes (OIDC Core 5.5, oauth/claims.py); `resource` values (RFC 8707) pick
   the APIs (oauth/resources.py: unknown -> invalid_target by redirect);
2. authlib validates client, redirect URI (exact match; REQUIRED when scope has openid,
   OIDC Core 3.1.2.1), response_type, scope, PKCE; then the
   claims parameter's syntax and an essential acr we cannot meet;
   errors before the redirect URI is trusted show an error page, never a redirect;
3. authentication: a session, fresh enough for prompt=login and max_age, matching id_token_hint,
   with a second factor when acr_values (or an essential acr) asks for it and the account has one;
   otherwise prompt=none -> login_required, else the login page; acr_values asking for a
   second factor the account does not have -> unmet_authentication_requirements; asking for
   phishing-resistant authentication (a passkey) -> the passkey step (use one, or create one);
4. consent: remembered per user, client and scopes; prompt=consent asks again;
   otherwise prompt=none -> consent_required, else the consent page;
5. the code, by redirect (query) or form_post, with iss (RFC 9207).
"""

from __future__ import annotations

import dataclasses
import time
from urllib.parse import urlencode

from authlib.oauth2.rfc6749 import AccessDeniedError, InvalidRequestError, OAuth2Error
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from flask import redirect, render_template, request, session, url_for

from idp.accounts.mfa import ACR_MFA, ACR_PHISHING_RESISTANT, meets, required_acr
from idp.oauth.claims import (
    UnmetAuthenticationRequirementsError,
    check_acr,
    parse_claims_request,
    requested_subject,
    scopes_for_claims,
)
from idp.oauth.endpoints.par import take_pushed
from idp.oauth.jar import requires_signed_request_object
from idp.oauth.requests import StoredAuthorizationRequest, defined_parameters, too_large
from idp.oauth.resources import PARAMETER as RESOURCE
from idp.oauth.response_modes import authorization_response
from idp.oauth.scopes import understood_scope
from idp.organizations import signin as org_signin
from idp.plumbing.context import oauth_server, services
from idp.signin import interactions, logout
from idp.tokens.keys import InvalidJWT
from idp.tokens.subjects import subject_for

SINGLE_VALUE_LIMIT = 2048
LIMITS = {"request": 16384, "claims": 8192}


def authorize():
    svc = services()
    server = oauth_server()

    # 1. The request.
    interaction_id = request.args.get("interaction")
    if interaction_id:
        interaction = interactions.load(interaction_id)
        if interaction is None:
            return error_page("expired_request", "This sign-in request has expired. Start again from the application.")
        oauth_request = StoredAuthorizationRequest(f"{svc.config.issuer}/authorize", interaction["params"])
    else:
        if any(len(v) > LIMITS.get(k, SINGLE_VALUE_LIMIT) for k, v in request.values.items()):
            return error_page("invalid_request", "A parameter of the request is too long.")
        interaction = None
        try:
            oauth_request = with_claimed_scopes(with_resources(expanded_request(server, server.create_oauth2_request(None))))
        except OAuth2Error as error:  # the redirect URI is not known to be valid yet: never redirect
            return error_page(error.error, error.description or "The request object is invalid.")
    params = defined_parameters(oauth_request.payload.data)  # only these wait across login and consent

    # 2. Validation by authlib.
    user = current_user()
    try:
        grant = server.get_consent_grant(oauth_request, end_user=user)
    except OAuth2Error as error:
        return error_response(error, params)

    if interaction is None and too_large(params):
        return error_response(InvalidRequestError("The request's parameters are too long.",
                                                  redirect_uri=grant.redirect_uri), params)
    prompts = set(params.get("prompt", "").split())
    client = grant.request.client
    if interaction is None and must_push(client) and not getattr(oauth_request, "pushed", False):
        return error_page("invalid_request", "This application must use pushed authorization requests (RFC 9126 5).")
    if interaction is None and requires_signed_request_object(client) and not (
            getattr(oauth_request, "pushed", False) or getattr(oauth_request, "signed", False)):
        # a pushed request had to be signed at the PAR endpoint already (oauth/jar.py)
        return error_page("invalid_request", "This application must send a signed request object (RFC 9101 10.5).")
    if params.get("max_age") is not None and not params["max_age"].isdigit():
        return error_response(InvalidRequestError("max_age must be a non-negative integer",
                                                  redirect_uri=grant.redirect_uri), params)
    try:
        check_acr(parse_claims_request(params.get("claims")))
    except OAuth2Error as error:
        error.redirect_uri = grant.redirect_uri
        return error_response(error, params)

    # 3. Authentication.
    if not is_authenticated_enough(user, params, prompts, interaction, client):
        if "none" in prompts:
            return error_response(LoginRequiredError(redirect_uri=grant.redirect_uri), params)
        interaction_id = interaction_id or interactions.create(params)
        query = {"interaction": interaction_id}
        query.update({name: params[name] for name in ("login_hint", "ui_locales") if params.get(name)})
        return redirect(url_for("web.login") + "?" + urlencode(query))
    needed = required_acr(params)
    if not meets(session.get("acr"), needed):
        if needed == ACR_PHISHING_RESISTANT and svc.passkeys.enabled:
            # Never a silent downgrade: the user proves a passkey, or creates one and then proves it.
            if "none" in prompts:
                return error_response(LoginRequiredError(redirect_uri=grant.redirect_uri), params)
            return redirect(url_for("web.passkey_step", interaction=interaction_id or interactions.create(params)))
        # Signed in with a password only, and the account has no second factor to ask for.
        return error_response(UnmetAuthenticationRequirementsError(
            "The account has no second factor, which this application requires." if needed == ACR_MFA else
            "Passkeys are not available on this server, and this application requires one.",
            redirect_uri=grant.redirect_uri), params)

    # 3b. The organization (issue 33): a member only; a client that requires one lets the user pick.
    try:
        organization = org_signin.decide(svc, client.client_id, user.id, params.get(org_signin.PARAMETER))
    except org_signin.Refused as refused:
        if interaction_id:
            interactions.finish(interaction_id)
        return error_response(AccessDeniedError(str(refused), redirect_uri=grant.redirect_uri), params)
    except org_signin.MustChoose:
        if "none" in prompts:
            return error_response(AccessDeniedError("This application requires an organization: name one.",
                                                    redirect_uri=grant.redirect_uri), params)
        return redirect(url_for("web.choose_organization", interaction=interaction_id or interactions.create(params)))

    # 4. Consent.
    scopes = svc.api_access.consent_keys(grant.request.scope, getattr(grant.request, "api_targets", []))
    decision = interaction.get("consent") if interaction and interaction.get("consent_user") == user.id else None
    if decision == "denied":
        interactions.finish(interaction_id)
        return error_response(AccessDeniedError(redirect_uri=grant.redirect_uri), params)
    if decision != "granted" and not client.trusted:
        asked_again = "consent" in prompts
        if asked_again or not svc.consents.covers(user.id, client.client_id, scopes):
            if "none" in prompts:
                return error_response(ConsentRequiredError(redirect_uri=grant.redirect_uri), params)
            interaction_id = interaction_id or interactions.create(params)
            return redirect(url_for("web.consent", interaction=interaction_id,
                                    **({"ui_locales": params["ui_locales"]} if params.get("ui_locales") else {})))

    # 5. The code.
    if interaction_id:
        interactions.finish(interaction_id)
    logout.remember_client(client.client_id)  # back-channel logout reaches it when this session ends
    oauth_request.interaction = {
        "auth_time": session.get("auth_time"),
        "amr": session.get("amr"),
        "acr": session.get("acr"),
        "sid": session.get("sid"),
        "idp": session.get("idp"),
        "organization": organization.id if organization else None,
    }
    return server.create_authorization_response(oauth_request, grant_user=user, grant=grant)


def expanded_request(server, oauth_request):
    """A PAR request_uri (RFC 9126 4) or a signed request object (RFC 9101) -> the plain
    request it stands for; other requests unchanged. The result is what waits across login."""
    data = oauth_request.payload.data
    issuer = services().config.issuer
    if "request_uri" in data:
        if "request" in data:
            raise InvalidRequestError("request and request_uri are mutually exclusive (RFC 9101 5).")
        expanded = StoredAuthorizationRequest(f"{issuer}/authorize", take_pushed(data["request_uri"],
                                                                                 data.get("client_id")))
        expanded.pushed = True
        return expanded
    params = server.jar.parameters(server, oauth_request)
    if params is None:
        return oauth_request
    expanded = StoredAuthorizationRequest(f"{issuer}/authorize", params)
    expanded.signed = True
    return expanded


def with_resources(oauth_request):
    """A live request's `resource` values (RFC 8707 2: the parameter may repeat) kept as one
    space-separated parameter, as stored requests hold them; a value with a space in it cannot be
    an absolute URI and stands as "#", which the grant then refuses with invalid_target by redirect."""
    if isinstance(oauth_request, StoredAuthorizationRequest):
        return oauth_request
    values = request.values.getlist(RESOURCE)
    if not values:
        return oauth_request
    params = {**dict(oauth_request.payload.data.items()),
              RESOURCE: " ".join("#" if v.split() != [v] else v for v in values)}
    return StoredAuthorizationRequest(f"{services().config.issuer}/authorize", params)


def with_claimed_scopes(oauth_request):
    """Claims asked for in the claims parameter bring in the scopes that hold them (see
    oauth/claims.py); a malformed parameter is left for step 2 to refuse by redirect.
    Scope values an OpenID request names that we do not define are dropped (OIDC Core 3.1.2.1):
    neither the consent page nor the tokens show them."""
    data = oauth_request.payload.data
    try:
        extra = scopes_for_claims(parse_claims_request(data.get("claims")))
    except OAuth2Error:
        extra = set()
    scopes = (understood_scope(data.get("scope")) or "").split()
    missing = [s for s in sorted(extra) if s not in scopes]
    scope = " ".join(scopes + missing)
    if scope == (data.get("scope") or ""):
        return oauth_request
    params = {**dict(data.items()), "scope": scope}
    expanded = StoredAuthorizationRequest(f"{services().config.issuer}/authorize", params)
    expanded.pushed = getattr(oauth_request, "pushed", False)
    expanded.signed = getattr(oauth_request, "signed", False)
    return expanded


def must_push(client) -> bool:
    """require_pushed_authorization_requests, for the whole server or this client (RFC 9126 5, 6)."""
    return services().config.require_par or bool(client.client_metadata.get("require_pushed_authorization_requests"))



@dataclasses.dataclass(frozen=True)
class SessionUser:
    """The signed-in user as the session knows them. No database read on the hot path: a disabled
    or deleted user is refused where tokens are issued (the grants' authenticate_user)."""

    id: str

    def get_user_id(self):
        return self.id


def current_user() -> SessionUser | None:
    user_id = session.get("uid")
    return SessionUser(user_id) if user_id else None


def is_authenticated_enough(user, params: dict, prompts: set, interaction: dict | None, client) -> bool:
    if user is None:
        return False
    auth_time = int(session.get("auth_time") or 0)
    # Authentication that happened during this very interaction satisfies prompt=login and max_age.
    fresh = interaction is not None and auth_time >= interaction["created"]
    if "login" in prompts and not fresh:
        return False
    max_age = params.get("max_age")
    if max_age is not None and not fresh and time.time() - auth_time > int(max_age):
        return False
    subject = subject_for(services(), client, user.id)
    hint = params.get("id_token_hint")
    if hint and hint_subject(hint) != subject:
        return False
    if required_acr(params) == ACR_MFA and not meets(session.get("acr"), ACR_MFA) and (
            services().mfa.is_enrolled(user.id) or services().passkeys.has_any(user.id)):
        return False  # step up: sign in again, this time with the second factor
    wanted = requested_subject(parse_claims_request(params.get("claims")))
    return wanted is None or wanted == subject  # OIDC Core 3.1.2.2: only that user may get a code


def hint_subject(id_token_hint: str) -> str | None:
    """The sub of an ID token we issued; expiry does not matter for a hint (OIDC Core 3.1.2.1)."""
    try:
        claims = services().keys.verify(id_token_hint)
    except InvalidJWT:
        return None
    return claims.get("sub") if claims.get("iss") == services().config.issuer else None


def error_response(error: OAuth2Error, params: dict):
    """Redirect the error to the client only when its redirect URI was validated (RFC 6749 4.1.2.1)."""
    if not error.redirect_uri:
        return error_page(error.error, error.description or "The application sent an invalid request.")
    fields = [("error", error.error)]
    if error.description:
        fields.append(("error_description", error.description))
    if params.get("state"):
        fields.append(("state", params["state"]))
    fields.append(("iss", services().config.issuer))
    return oauth_server().handle_response(*authorization_response(error.redirect_uri, fields, params.get("response_mode")))


def error_page(code: str, description: str, status: int = 400):
    return render_template("error.html", error=code, description=description), status
