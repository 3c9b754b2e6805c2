"""What every grant shares: the client authentication methods and token issuance."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import InvalidGrantError
from flask import g

from idp.oauth.dpop import InvalidDPoPProofError
from idp.oauth.resources import grantable_scope, live_resources, narrowed, request_targets, targets_for
from idp.observability.metrics import TOKENS_ISSUED
from idp.organizations import signin as org_signin
from idp.plumbing.context import services
from idp.tokens.service import RevokedGrant
from idp.tokens.subjects import subject_for


def active_user(user_id: str):
    """The grant's user, from the snapshot token issuance reads (Users.for_tokens); a user deleted
    or disabled since the grant was made makes it invalid (RFC 6749 5.2: invalid_grant)."""
    user = services().users.for_tokens(user_id)
    if user is None or user.disabled:
        raise InvalidGrantError("The user is no longer active.")
    return user


def organization_claims(organization_id: str | None, user_id: str) -> dict:
    """org_id and org_name (Auth0's names, issue 33) of the organization a grant was made for; a
    user who has left it (or an organization deleted since) makes the grant invalid (RFC 6749 5.2)."""
    if not organization_id:
        return {}
    chosen = org_signin.still_member(services(), organization_id, user_id)
    if chosen is None:
        raise InvalidGrantError("The user is no longer a member of the organization this grant was made for.")
    return {"org_id": chosen.id, "org_name": chosen.name}


class IssuesTokens:
    """Replaces authlib's generic generator: our tokens need the grant's context
    (grant id, auth_time), which only the grant knows."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt",
                                   "client_secret_jwt", "none"]

    def authenticate_token_endpoint_client(self):
        """A client registered with dpop_bound_access_tokens must send a DPoP proof (RFC 9449 5.2);
        checked with the client, before a code or refresh token is spent."""
        client = super().authenticate_token_endpoint_client()
        if client.client_metadata.get("dpop_bound_access_tokens") and not g.get("dpop_jkt"):
            raise InvalidDPoPProofError("This client's tokens must be DPoP-bound: send a DPoP proof.")
        return client

    def token_context(self) -> dict:
        """grant_id, auth_time and user_id of the grant being redeemed (none for client_credentials)."""
        return {}

    def granted_resources(self) -> list | None:
        """The APIs the redeemed grant covers (a code, a refresh token), which the token request may
        narrow (RFC 8707 2.2); None for grants that start here (client_credentials, device)."""
        return None

    def granted_scope(self) -> str | None:
        """The scope of the redeemed grant, which a new refresh token keeps (RFC 6749 6: "identical
        to that of the refresh token included"), however this access token's scope was cut for its
        audience (RFC 8707 2.2); None for grants without a refresh token of their own."""
        return None

    def validate_token_request(self):
        """After authlib's checks, before a code or refresh token is spent: the APIs this token is
        for (RFC 8707 2: invalid_target) and their DPoP rule."""
        super().validate_token_request()
        client = self.request.client
        granted = self.granted_resources()
        if granted is None:
            targets = targets_for(client.client_id, live_resources(self.request))
        else:
            resources = narrowed(granted, live_resources(self.request))
            targets = targets_for(client.client_id, resources) if resources else []
        g.api_targets = targets
        if services().api_access.policy(targets).dpop_only and not g.get("dpop_jkt"):
            raise InvalidDPoPProofError("This API accepts DPoP-bound access tokens only: send a DPoP proof.")

    def generate_token(self, user=None, scope=None, grant_type=None, expires_in=None, include_refresh_token=True):
        client = self.request.client
        context = self.token_context()
        targets = request_targets()
        access = services().api_access
        user_id = user.id if user else None
        organization = context.get("organization") if user_id else None
        org_claims = organization_claims(organization, user_id)
        g.token_organization = organization  # the ID token's `roles` are those held there too
        # one read; in an organization, the roles are the user's roles in it
        effective = services().authorization.effective(user_id, organization) if user_id and targets else None
        # RFC 8707: scopes cut to what the API defines, the client may ask and the user's roles grant;
        # another registered API's scopes never reach this audience (the issuer's included).
        scope = grantable_scope(client, scope, targets, user_id, effective)
        policy = access.policy(targets)
        wants_refresh = (
            include_refresh_token
            and client.check_grant_type("refresh_token")
            and "offline_access" in (scope or "").split()
        )
        granted = self.granted_resources()
        try:
            token = services().tokens.bearer_response(
                client.client_id,
                subject_for(services(), client, user.id) if user else client.client_id,
                scope or "",
                user_id=user.id if user else None,
                grant_id=context.get("grant_id"),
                auth_time=context.get("auth_time"),
                include_refresh_token=wants_refresh,
                dpop_jkt=g.get("dpop_jkt"),
                bind_refresh_token=client.is_public,  # RFC 9449 5: public clients' refresh tokens are bound
                audience=policy.audience,
                ttl=policy.ttl,
                # mapped claims (issue 35) first: what the server sets itself always wins
                extra_claims={**services().custom_claims.for_access_token(user, targets, scope or "", organization),
                              **access.access_token_claims(user_id, targets, scope or "", effective), **org_claims},
                resources=granted if granted is not None else policy.audience,
                refresh_scope=self.granted_scope(),
                organization_id=organization,
            )
        except RevokedGrant:  # revoked while this request ran (a raced reuse, RFC 9700 4.14.2)
            raise InvalidGrantError("The grant was revoked.") from None
        TOKENS_ISSUED.labels(self.GRANT_TYPE).inc()
        return token
