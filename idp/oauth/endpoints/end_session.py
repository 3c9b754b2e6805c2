"""RP-Initiated Logout 1.0: the end_session_endpoint.

1. the request, by GET or POST (section 2): id_token_hint, client_id, post_logout_redirect_uri,
   state, logout_hint; fresh from the RP, or resumed after the confirmation page;
2. authlib validates: the hint is an ID token we issued (expired is fine), client_id is its
   audience, post_logout_redirect_uri is one the client registered, exactly (section 3);
   an invalid request shows an error page and never redirects (section 4);
3. confirmation when the request could be forged (section 6): no valid id_token_hint, or a hint
   or logout_hint for someone other than this browser's user; the page posts back with a CSRF token.
   A post_logout_redirect_uri without a valid id_token_hint is followed only after that
   confirmation, signed in or not: a client_id and a URI its registrant chose prove nothing about
   who sent the browser here, and following them at once would make this issuer an open
   redirector for any self-registered client (issue 30, 7; section 2 lets the OP ask the user);
4. the browser session ends and the session's relying parties get back-channel logout tokens;
5. redirect to post_logout_redirect_uri with state, or the signed-out page.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error
from authlib.oidc.rpinitiated import EndSessionEndpoint as _Base
from flask import redirect, render_template, request, session, url_for
from joserfc import jws

from idp.plumbing.context import oauth_server, services
from idp.plumbing.security import random_token
from idp.signin import logout
from idp.tokens.keys import InvalidJWT
from idp.tokens.subjects import subject_for

PARAMETERS = ("id_token_hint", "client_id", "post_logout_redirect_uri", "state", "logout_hint", "ui_locales")
NOT_ID_TOKENS = ("at+jwt", "logout+jwt")
STASH_TTL = 600


class EndSessionEndpoint(_Base):
    def get_server_jwks(self):
        return json.loads(services().keys.jwks()[0])

    def _validate_id_token_hint(self, id_token_hint):
        """Our key set verifies it, and it must be an ID token of ours: the same keys sign
        access and logout tokens, which are not acceptable hints."""
        try:
            token = services().keys.verify(id_token_hint)
        except InvalidJWT:
            raise InvalidRequestError("id_token_hint is not an ID token issued here") from None
        header = jws.extract_compact(id_token_hint.encode()).headers()  # well-formed: it just verified
        if str(header.get("typ", "JWT")).lower() in NOT_ID_TOKENS or token.get("iss") != services().config.issuer:
            raise InvalidRequestError("id_token_hint is not an ID token issued here")
        return token

    def resolve_client_from_id_token_claims(self, id_token_claims):
        """Our ID tokens carry aud as a one-element list and azp (OIDC Core 2)."""
        aud = id_token_claims.get("aud")
        aud = aud if isinstance(aud, list) else [aud]
        azp = id_token_claims.get("azp") or (aud[0] if len(aud) == 1 else None)
        return self.server.query_client(azp) if azp in aud else None

    def is_post_logout_redirect_uri_legitimate(self, request, post_logout_redirect_uri, client, logout_hint):
        # Without a hint, a client_id sent explicitly and a URI registered to exactly that client
        # confirm the target (section 3 "other means"); the user confirms the logout itself.
        return bool(request.payload.data.get("client_id"))

    def end_session(self, end_session_request):
        logout.sign_out()


def end_session():
    # 1. The request.
    params = {k: request.values[k] for k in PARAMETERS if k in request.values}
    if any(len(v) > 8192 for v in params.values()):
        return error_page("A parameter of the logout request is too long.")
    # 2. Validation by authlib.
    try:
        validated = validate(params)
    except OAuth2Error as error:
        return error_page(error.description or "The logout request is invalid.")
    # 3. Confirmation when the request could be forged.
    if needs_confirmation(validated):
        stash_id = random_token(24)
        services().store.set("logout:" + stash_id, json.dumps(params), STASH_TTL)
        return redirect(url_for("web.logout", logout_request=stash_id))
    # 4 and 5.
    return finish(validated)


def validate(params: dict):
    from idp.oauth.requests import StoredAuthorizationRequest

    oauth_request = StoredAuthorizationRequest(f"{services().config.issuer}/end_session", params)
    return oauth_server().validate_endpoint_request("end_session", oauth_request)


def load_stashed(stash_id: str, take: bool = False):
    """The parameters of a logout request waiting for confirmation (None when expired)."""
    if not stash_id or len(stash_id) > 64:
        return None
    store = services().store
    raw = store.take("logout:" + stash_id) if take else store.get("logout:" + stash_id)
    return json.loads(raw) if raw else None


def needs_confirmation(validated) -> bool:
    if validated.needs_confirmation and validated.redirect_uri:
        return True  # no proof that the RP asked: the user confirms before we follow its URI (step 3)
    user_id = session.get("uid")
    if not user_id:
        return False  # no session here: nothing a forged request could end
    if validated.needs_confirmation:
        return True
    claims = validated.id_token_claims
    if claims.get("sid") and claims["sid"] != session.get("sid"):
        return True
    if validated.client and claims.get("sub") != subject_for(services(), validated.client, user_id):
        return True
    if validated.logout_hint:
        user = services().users.by_id(user_id)
        return user is None or validated.logout_hint.strip().lower() != user.email
    return False


def finish(validated):
    """Steps 4 and 5: end the session (authlib calls end_session), then redirect or say so."""
    response = oauth_server().create_endpoint_response("end_session", validated)
    if response is not None:
        return response
    return render_template("logout.html", form=None, signed_in=False, client=validated.client)


def destination(validated) -> str | None:
    """The origin (scheme://host[:port]) the confirmed request will go to, shown on the confirmation
    page: parsed and re-serialised from the registered URI, never the request's text."""
    if not validated.redirect_uri:
        return None
    parts = urlsplit(validated.redirect_uri)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def error_page(description: str):
    return render_template("error.html", error="invalid_request", description=description), 400

