"""Which mapped claims (idp/apis/claim_mappings.py) a token or an answer carries, for one user:
an API's mappings in its access tokens, a client's in its ID tokens and userinfo, and the token's
own in introspection (RFC 7662 2.2).

Everything read here is what roles read too, and changes the same way (issue 21's rule, "the next
token, on every replica at once"): the user from the user snapshot that every write to the user
row replaces with a tombstone (idp/store/users.py, so a metadata change reaches the next token);
API mappings with the client's APIs, client mappings and organization fields through the
authorization cache whose version every API, client-mapping or organization change bumps.
"""

from __future__ import annotations

from idp.apis.authorization import Authorization
from idp.apis.claim_mappings import TOKEN_BUDGET, Sources, mapped_claims


class CustomClaims:
    def __init__(self, authorization: Authorization, clients, organizations, registry):
        self.authorization = authorization
        self.clients, self.organizations, self.registry = clients, organizations, registry

    # -- what is declared -------------------------------------------------------------
    def client_mappings(self, client_id: str) -> list:
        def compute():
            client = self.clients.get(client_id, fresh=True)
            return [dict(m) for m in client.claim_mappings] if client else []
        return self.authorization.shared("client-claims:" + client_id, compute)

    def api_mappings(self, identifier: str) -> list:
        def compute():
            api = self.registry.api(identifier)
            return [dict(m) for m in api.claim_mappings] if api else []
        return self.authorization.shared("api-claims:" + identifier, compute)

    # -- what a token carries -----------------------------------------------------------
    def sources(self, user, organization_id: str | None = None) -> Sources:
        def organization():
            if not organization_id:
                return None
            def compute():
                org = self.organizations.get(organization_id)
                return {"id": org.id, "slug": org.slug, "name": org.name} if org else None
            return self.authorization.shared("org-fields:" + organization_id, compute)
        return Sources(user, lambda: self.authorization.effective(user.id)[0], organization)

    def for_access_token(self, user, targets, scope: str, organization_id: str | None = None) -> dict:
        """RFC 9068 2.2: the claims the token's APIs map (the first API's mapping of a name wins)."""
        mappings = [m for t in targets for m in t.claim_mappings]
        if user is None or not mappings:
            return {}
        return mapped_claims(mappings, self.sources(user, organization_id), scope)

    def for_client(self, user, client_id: str, scope: str, organization_id: str | None = None,
                   budget: int | None = TOKEN_BUDGET) -> dict:
        """OpenID Connect Core 5.1: a client's ID token claims (budget) and userinfo (budget None)."""
        mappings = self.client_mappings(client_id)
        if not mappings:
            return {}
        return mapped_claims(mappings, self.sources(user, organization_id), scope, budget)

    def for_introspection(self, user, claims: dict) -> dict:
        """The mapped claims a token carries, and the full value behind each `<claim>_overage`
        marker (RFC 7662 2.2: the resource server sees what the token says, in full)."""
        aud = claims.get("aud")
        mappings = [m for identifier in (aud if isinstance(aud, list) else [aud]) if isinstance(identifier, str)
                    for m in self.api_mappings(identifier)]
        out, overage = {}, []
        for mapping in mappings:
            name = mapping["claim"]
            if name in claims:
                out[name] = claims[name]
            elif claims.get(name + "_overage") is True:
                overage.append(mapping)
        if overage and user is not None:
            out.update(mapped_claims(overage, self.sources(user, claims.get("org_id")), claims.get("scope", ""),
                                     budget=None))
        return out
