"""urn:ietf:params:oauth:grant-type:token-exchange (RFC 8693): a service calls another API on behalf
of the user in front of it, with a token that names the chain of services (`act`, RFC 8693 4.1).

1. the client authenticates as for any grant (confidential only) and must have the grant type,
   which an operator gives (administration/client_policy.py refuses it in dynamic registration);
2. subject_token: an access token or an ID token of this IdP (idp/tokens/exchange.py), never a
   refresh token; actor_token: the requester's own client_credentials token (delegation); without
   one the exchange is impersonation, allowed only where the operator enabled it for the client;
3. resource / audience name registered APIs the requester is allowed (RFC 8707 semantics:
   invalid_target otherwise), and the scope is what those APIs offer, the requester may ask and
   the user granted (the subject token, their consent to its client) or holds by role;
4. the token carries the subject's grant id (revoking the grant reaches it), lives no longer than
   the subject token, is DPoP-bound when the request carries a proof;
5. answer per RFC 8693 2.2 (issued_token_type), errors per 2.2.2; each exchange is audited and counted.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc6749.grants.base import BaseGrant, TokenEndpointMixin
from authlib.oauth2.rfc6749.hooks import hooked
from flask import g

from idp.oauth.dpop import InvalidDPoPProofError
from idp.oauth.grants.base import IssuesTokens, active_user
from idp.oauth.resources import InvalidTargetError, check_resources, grantable_scope, live_resources, targets_for
from idp.observability import audit
from idp.observability.metrics import TOKEN_EXCHANGES, TOKENS_ISSUED
from idp.plumbing.context import services
from idp.tokens.exchange import (
    ACCESS_TOKEN,
    JWT,
    Exchanges,
    Unacceptable,
    act_claim,
    bounded_ttl,
    chain_of,
    check_may_act,
)
from idp.tokens.subjects import subject_for

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
IMPERSONATION = "token_exchange_impersonation"  # client metadata an operator sets (client_policy.py)
REFRESH_TOKENS = "token_exchange_refresh_tokens"


class TokenExchangeGrant(IssuesTokens, BaseGrant, TokenEndpointMixin):
    GRANT_TYPE = GRANT_TYPE
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt",
                                   "client_secret_jwt"]  # confidential clients only

    def validate_token_request(self):
        """Every check before anything is issued; a refusal is counted and audited with its reason."""
        try:
            self._validate()
        except OAuth2Error as error:
            client = getattr(self.request, "client", None)
            TOKEN_EXCHANGES.labels(error.error, getattr(self.request, "exchange_kind", "unknown")).inc()
            audit.record("token.exchange_refused", client_id=client.client_id if client else None,
                         error=error.error, reason=error.description)
            raise

    def _validate(self):
        client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(GRANT_TYPE):
            raise UnauthorizedClientError(f"The client is not authorized to use 'grant_type={GRANT_TYPE}'.")
        self.request.client = client
        data = self.request.payload.data
        subject_token, subject_type = data.get("subject_token"), data.get("subject_token_type")
        if not subject_token or not subject_type:
            raise InvalidRequestError("subject_token and subject_token_type are required (RFC 8693 2.1).")
        actor_token, actor_type = data.get("actor_token"), data.get("actor_token_type")
        if bool(actor_token) != bool(actor_type):
            raise InvalidRequestError("actor_token_type goes with actor_token, and only with it (RFC 8693 2.1).")
        issued_type = data.get("requested_token_type") or ACCESS_TOKEN
        if issued_type not in (ACCESS_TOKEN, JWT):  # our access tokens are JWTs (RFC 9068)
            raise InvalidRequestError(f"Only access tokens are issued: requested_token_type {ACCESS_TOKEN} "
                                      f"or {JWT} (RFC 8693 2.1).")
        self.request.exchange_kind = "delegation" if actor_token else "impersonation"
        if not actor_token and not client.client_metadata.get(IMPERSONATION):
            raise InvalidRequestError("This client may not impersonate: send its own token as actor_token.")
        exchanges = Exchanges(services())
        try:
            subject = exchanges.subject(subject_token, subject_type, client.client_id)
            actor = exchanges.actor(actor_token, actor_type, client.client_id) if actor_token else None
            check_may_act(subject, actor.sub if actor else client.client_id, services().config.issuer)
            act = act_claim(subject, actor)
            user = active_user(subject.user_id)
            targets = self._targets(client)
            ttl = bounded_ttl(services().api_access.policy(targets).ttl or services().config.access_token_ttl, subject)
        except (Unacceptable, InvalidGrantError) as error:
            # RFC 8693 2.2.2: a subject or actor token invalid for any reason, or refused by policy
            raise InvalidRequestError(str(error) if isinstance(error, Unacceptable) else error.description) from None
        self.validate_requested_scope()
        effective = services().authorization.effective(user.id)  # groups and roles, read once
        self.request.exchange = (issued_type, subject, act, user, targets, ttl, effective,
                                 self._scope(client, subject, targets, user, effective))

    def _targets(self, client):
        """resource and audience alike name registered APIs (an API's audience is its identifier)."""
        audience = check_resources(list(self.request.payload.datalist.get("audience") or ()))
        targets = targets_for(client.client_id, list(dict.fromkeys(live_resources(self.request) + audience)))
        if not targets:
            raise InvalidTargetError("Name the API the token is for with resource or audience (RFC 8693 2.1).")
        g.api_targets = targets
        if services().api_access.policy(targets).dpop_only and not g.get("dpop_jkt"):
            raise InvalidDPoPProofError("This API accepts DPoP-bound access tokens only: send a DPoP proof.")
        return targets

    def _scope(self, client, subject, targets, user, effective) -> str:
        """What the target APIs offer and the requester may ask (the authorization code's rules), kept
        only where the user granted it or holds it by role: never wider than the user could get."""
        svc = services()
        asked = self.request.payload.scope
        offered = grantable_scope(client, asked, targets, user.id, effective).split()
        by_role = svc.api_access.role_scopes(user.id, effective)
        held = set(subject.scope) | {s for t in targets for s in by_role.get(t.identifier, ())}
        consented = svc.consents.covers  # the user's consent to the subject token's client, per API
        held.update(s for s in offered if s not in held
                    and consented(user.id, subject.client_id, svc.api_access.consent_keys(s, targets)))
        kept = [s for s in offered if s in held]
        if asked and not kept:
            raise InvalidScopeError("None of the requested scopes was granted by the user or their roles.")
        return " ".join(kept)

    @hooked
    def create_token_response(self):
        svc = services()
        client = self.request.client
        issued_type, subject, act, user, targets, ttl, effective, scope = self.request.exchange
        policy = svc.api_access.policy(targets)
        # the API's mapped claims (issue 35) first: no mapping may stand in for a protocol claim
        claims = {**svc.custom_claims.for_access_token(user, targets, scope),
                  **svc.api_access.access_token_claims(user.id, targets, scope, effective)}
        if act:
            claims["act"] = act
        refresh = bool(client.client_metadata.get(REFRESH_TOKENS) and client.check_grant_type("refresh_token")
                       and "offline_access" in scope.split() and subject.grant_id and not act)
        token = svc.tokens.bearer_response(
            client.client_id, subject_for(svc, client, user.id), scope, user_id=user.id,
            grant_id=subject.grant_id, auth_time=subject.auth_time,
            include_refresh_token=refresh,  # not with an act chain: a refreshed token could not carry it
            dpop_jkt=g.get("dpop_jkt"), audience=policy.audience,
            ttl=ttl,
            extra_claims=claims, resources=policy.audience)
        token["issued_token_type"] = issued_type  # RFC 8693 2.2.1
        TOKENS_ISSUED.labels(GRANT_TYPE).inc()
        TOKEN_EXCHANGES.labels("issued", self.request.exchange_kind).inc()
        audit.record("token.exchanged", user_id=user.id, client_id=client.client_id, kind=self.request.exchange_kind,
                     subject_client=subject.client_id, acting=chain_of(act), audience=policy.audience, scope=scope)
        return 200, token, self.TOKEN_RESPONSE_HEADER
