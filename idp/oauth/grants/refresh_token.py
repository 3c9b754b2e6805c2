"""refresh_token (RFC 6749 6) with rotation and reuse detection (RFC 9700 4.14.2), and
DPoP binding for public clients (RFC 9449 5).

Every use returns a new refresh token and consumes the old one atomically; a
consumed token presented again revokes the whole family, because either the
client or an attacker holds a stolen copy.
"""

import hmac

from authlib.oauth2.rfc6749 import InvalidGrantError, grants
from flask import g

from idp.oauth.grants.base import IssuesTokens, active_user
from idp.plumbing.context import services


class RefreshTokenGrant(IssuesTokens, grants.RefreshTokenGrant):
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        grant = services().tokens.find_refresh(refresh_token)
        if grant is None or grant.revoked or grant.is_expired():
            return None
        if grant.rotated:
            services().tokens.revoke_grant(grant.family_id)  # reuse: the family is compromised
            return None
        if grant.dpop_jkt and not hmac.compare_digest(grant.dpop_jkt, g.get("dpop_jkt") or ""):
            # RFC 9449 5: a bound refresh token needs a proof from the same key
            raise InvalidGrantError("The refresh token is bound to another DPoP key.")
        return grant

    def authenticate_user(self, refresh_token):
        return active_user(refresh_token.user_id)  # raising: authlib would answer invalid_request

    def token_context(self):
        grant = self.request.refresh_token
        return {"grant_id": grant.family_id, "auth_time": grant.auth_time, "organization": grant.organization_id}

    def granted_resources(self):
        return list(self.request.refresh_token.resources)

    def granted_scope(self):
        return self.request.refresh_token.scope

    def issue_token(self, user, refresh_token):
        # Consume before issuing, so two concurrent uses cannot both succeed.
        if not services().tokens.consume_refresh(refresh_token):
            raise InvalidGrantError("The refresh token was already used; its grant is revoked.")
        return super().issue_token(user, refresh_token)

    def revoke_old_credential(self, refresh_token):
        """Already consumed in issue_token."""
