"""authorization_code (RFC 6749 4.1) with PKCE (RFC 7636, S256 only) and OpenID Connect;
a code requested with dpop_jkt (or pushed with a DPoP proof) needs a proof from that key (RFC 9449 10).

Codes live in the ephemeral store under their hash, are taken atomically on
redemption (one time), and a reused code revokes what it issued (RFC 6749 4.1.2).
"""

from __future__ import annotations

import hmac
import re
import secrets
import time

from authlib.oauth2.rfc6749 import AccessDeniedError, InvalidRequestError, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core.grants import OpenIDCode
from flask import g

from idp.oauth.claims import user_claims
from idp.oauth.dpop import InvalidDPoPProofError
from idp.oauth.grants.base import IssuesTokens, active_user, organization_claims
from idp.oauth.resources import request_targets
from idp.oauth.response_modes import RESPONSE_MODES, authorization_response
from idp.plumbing.context import services
from idp.plumbing.security import token_hash
from idp.tokens.keys import id_token_alg
from idp.tokens.service import AuthorizationCode, grant_id_of
from idp.tokens.subjects import subject_for


class AuthorizationCodeGrant(IssuesTokens, grants.AuthorizationCodeGrant):
    def generate_authorization_code(self):
        """256 random bits in one os.urandom call; authlib's default draws each of its 48
        characters with a separate SystemRandom.choice, a visible share of an authorize request."""
        return secrets.token_urlsafe(32)

    def save_authorization_code(self, code, request):
        data = request.payload.data
        interaction = request.interaction  # set by the authorize endpoint
        services().tokens.save_code(
            code,
            AuthorizationCode(
                client_id=request.client.client_id,
                redirect_uri=data.get("redirect_uri"),
                scope=request.scope,
                user_id=request.user.id,
                auth_time=interaction["auth_time"],
                grant_id=grant_id_of(token_hash(code)),
                nonce=data.get("nonce"),
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                amr=interaction.get("amr"),
                acr=interaction.get("acr"),
                sid=interaction.get("sid"),
                dpop_jkt=data.get("dpop_jkt"),
                idp=interaction.get("idp"),
                organization=interaction.get("organization"),
                resources=[t.identifier for t in getattr(request, "api_targets", ())] or None,
            ),
        )

    def query_authorization_code(self, code, client):
        redeemed = services().tokens.redeem_code(code, client.client_id)
        if redeemed is not None and redeemed.dpop_jkt and not hmac.compare_digest(redeemed.dpop_jkt,
                                                                                  g.get("dpop_jkt") or ""):
            raise InvalidDPoPProofError("The code is bound to another DPoP key (RFC 9449 10).")
        return redeemed

    def delete_authorization_code(self, authorization_code):
        """Nothing to do: redeem_code already took the code out of the store."""

    @staticmethod
    def validate_authorization_redirect_uri(request, client):
        """OIDC Core 3.1.2.1: redirect_uri is REQUIRED in an OpenID request, even for a client with a
        single registered URI; without a redirect_uri the error has nowhere to go but an error page.
        Plain OAuth requests may still omit it (RFC 6749 3.1.2.3)."""
        if not request.payload.redirect_uri and "openid" in (request.payload.scope or "").split():
            raise InvalidRequestError("redirect_uri is required in an OpenID Connect request (OIDC Core 3.1.2.1).")
        return grants.AuthorizationCodeGrant.validate_authorization_redirect_uri(request, client)

    def authenticate_user(self, authorization_code):
        return active_user(authorization_code.user_id)

    def token_context(self):
        code = self.request.authorization_code
        return {"grant_id": code.grant_id, "auth_time": code.auth_time, "organization": code.organization}

    def granted_resources(self):
        return list(self.request.authorization_code.resources or [])

    def granted_scope(self):
        return self.request.authorization_code.scope

    def create_authorization_response(self, redirect_uri, grant_user):
        """RFC 6749 4.1.2, with response_mode and iss (RFC 9207) added to authlib's version."""
        if not grant_user:
            raise AccessDeniedError(redirect_uri=redirect_uri)
        self.request.user = grant_user
        code = self.generate_authorization_code()
        self.save_authorization_code(code, self.request)
        data = self.request.payload.data
        fields = [("code", code)]
        if data.get("state"):
            fields.append(("state", data["state"]))
        fields.append(("iss", services().config.issuer))
        return authorization_response(redirect_uri, fields, data.get("response_mode"))


def validate_response_mode(grant, redirect_uri):
    data = grant.request.payload.data
    mode = data.get("response_mode")
    if mode and mode not in RESPONSE_MODES:
        raise InvalidRequestError(f"Unsupported response_mode '{mode}'.", redirect_uri=redirect_uri)
    jkt = data.get("dpop_jkt")
    if jkt is not None and not re.fullmatch(r"[A-Za-z0-9_-]{43}", jkt):
        raise InvalidRequestError("dpop_jkt must be a JWK SHA-256 thumbprint (RFC 9449 10).", redirect_uri=redirect_uri)


class S256CodeChallenge(CodeChallenge):
    """PKCE with S256 only; required for public clients (RFC 9700 2.1.1)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def __init__(self):
        super().__init__(required=True)

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if data.get("code_challenge") and not data.get("code_challenge_method"):
            # RFC 7636 4.3 makes a missing method mean "plain", which we refuse.
            raise InvalidRequestError("code_challenge_method must be S256", redirect_uri=redirect_uri)
        if grant.request.client.is_public and not data.get("code_challenge"):
            raise InvalidRequestError("Public clients must use PKCE (code_challenge with S256)",
                                      redirect_uri=redirect_uri)
        super().validate_code_challenge(grant, redirect_uri)


class IdToken(OpenIDCode):
    """The ID token: RS256 from the current key, with kid, azp and sid."""

    def __init__(self):
        super().__init__(require_nonce=False)

    def exists_nonce(self, nonce, request):
        # Nonce replay is the RP's check (OIDC Core 3.1.3.7 step 11); codes are one-time here.
        return False

    def get_client_algorithm(self, client):
        return id_token_alg(services().keys, client)

    def get_encode_header(self, client):
        alg = self.get_client_algorithm(client)
        g.id_token_key = services().keys.signing_key(alg)  # header and signature from one key, even mid-rotation
        return {"alg": alg, "kid": g.id_token_key[0], "typ": "JWT"}

    def resolve_client_private_key(self, client):
        return g.id_token_key[1]

    def get_client_claims(self, client):
        now = int(time.time())
        config = services().config
        return {"iss": config.issuer, "aud": [client.client_id], "azp": client.client_id,
                "iat": now, "exp": now + config.id_token_ttl}

    def get_authorization_code_claims(self, authorization_code):
        claims = super().get_authorization_code_claims(authorization_code)
        if authorization_code.sid:
            claims["sid"] = authorization_code.sid
        if authorization_code.idp:  # the upstream provider of a federated sign-in (amr ["fed"])
            claims["idp"] = authorization_code.idp
        organization = getattr(authorization_code, "organization", None)  # the device flow has none
        if organization:  # issue 33: Auth0's claim names
            claims.update(organization_claims(organization, authorization_code.user_id))
        return claims

    def encode_id_token(self, token, request):
        g.id_token_client = request.client  # generate_user_info needs it for the client's sub
        return super().encode_id_token(token, request)

    def generate_user_info(self, user, scope):
        info = user_claims(user, scope, subject_for(services(), g.id_token_client, user.id))
        # groups / roles scopes (RFC 9068 2.2.3.1 names): roles of the token's APIs only, bounded
        info.update(services().api_access.identity_claims(user.id, scope, [t.identifier for t in request_targets()],
                                                          organization=g.get("token_organization")))
        # the client's mapped claims (issue 35), bounded; never in place of a claim set above
        mapped = services().custom_claims.for_client(user, g.id_token_client.client_id, scope,
                                                     g.get("token_organization"))
        info.update({name: value for name, value in mapped.items() if name not in info})
        return info

    def __call__(self, grant):
        super().__call__(grant)
        grant.register_hook("after_validate_authorization_request_payload", validate_response_mode)
