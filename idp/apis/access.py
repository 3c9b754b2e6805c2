"""What a token for a registered API may carry (issue 21): which APIs a request targets
(RFC 8707 resource indicators), which scopes survive, the token's audience, lifetime and DPoP
rule, and the groups/roles/entitlements claims (RFC 9068 2.2.3.1).

Token scopes are the intersection of what the client may ask (its allowance for the API), what
the API defines, what the user's roles grant (for scopes the API marks as needing a role) and
what the user consented to (the code, refresh token or device decision the request redeems).
Nobody gains a scope by asking for it.
"""

from __future__ import annotations

import dataclasses

from idp.apis.authorization import Authorization

# Past this many groups (or roles) a token carries no list but `<name>_overage: true`; the full
# list is answered by introspection (RFC 7662) and, for the `groups` scope, by userinfo.
MAX_CLAIM_VALUES = 200
IDENTITY_SCOPES = ("groups", "roles")  # ID token / userinfo claims, only with consent (OIDC Core 5.4 style)


class UnknownTarget(Exception):
    """RFC 8707 2: a resource that is not registered, not allowed to this client, or not
    acceptable together with the others (the caller answers invalid_target)."""


class NothingGrantable(Exception):
    """Scopes were asked for and none of them can be granted (the caller answers invalid_scope)."""


@dataclasses.dataclass(frozen=True)
class Target:
    """One API a token is for, as this client is allowed it."""

    identifier: str
    name: str
    scopes: dict  # scope -> description
    ttl: int | None
    dpop_only: bool
    role_scopes: frozenset
    allowed: frozenset | None  # the client's allowance (None: every scope the API defines)
    claim_mappings: tuple = ()  # issue 35: claims its access tokens carry (idp/apis/claim_mappings.py)

    def may_ask(self, scope: str) -> bool:
        return scope in self.scopes and (self.allowed is None or scope in self.allowed)


@dataclasses.dataclass(frozen=True)
class TokenPolicy:
    audience: list  # empty: the issuer, as before APIs existed
    ttl: int | None
    dpop_only: bool


class ApiAccess:
    def __init__(self, authorization: Authorization):
        self.authorization = authorization

    # -- targets ------------------------------------------------------------------------
    def targets(self, client_id: str, resources: list[str] | tuple = ()) -> list[Target]:
        """The APIs asked for, or the client's default API when none is; [] keeps the behaviour of
        a client without APIs. Several resources are one token with several audiences only when no
        scope name is defined by two of them (RFC 8707 2.2: the audience must stay unambiguous)."""
        allowed = {a["identifier"]: a for a in self.authorization.client_apis(client_id)}
        if not resources:
            default = [a for a in allowed.values() if a["default"]]
            return [_target(default[0])] if default else []
        out = []
        for resource in dict.fromkeys(resources):
            if resource not in allowed:
                raise UnknownTarget(f"The resource {resource} is unknown or not allowed to this client (RFC 8707 2).")
            out.append(_target(allowed[resource]))
        names = [s for t in out for s in t.scopes]
        if len(names) != len(set(names)):
            raise UnknownTarget("These resources define the same scope; ask for one at a time (RFC 8707 2.2).")
        return out

    @staticmethod
    def narrowed(granted: list[str] | tuple, asked: list[str]) -> list[str]:
        """RFC 8707 2.2: at the token endpoint a grant may be narrowed to some of its resources, never widened."""
        if not asked:
            return list(granted)
        if not set(asked) <= set(granted):
            raise UnknownTarget("The grant does not cover this resource (RFC 8707 2.2).")
        return list(dict.fromkeys(asked))

    def known_scopes(self) -> set[str]:
        return self.authorization.all_api_scopes()

    # -- scopes -------------------------------------------------------------------------
    def grantable(self, client, scope: str | None, targets: list[Target], user_id: str | None,
                  effective: tuple | None = None, reserved: frozenset = frozenset()) -> str:
        """The scope a token may carry. Scopes of the targeted APIs need the client's allowance and,
        for a user's token, a role when the API says so; other scopes are the client's own
        (client.scope, as before APIs existed); anything else is left out. A scope that a registered
        API defines speaks for that API alone (RFC 8707 2: the audience names who may act on it), so
        it is left out of a token for any other audience (another API, or the issuer), whatever the
        client's own list holds. `reserved`: the server's own scopes (openid, offline_access, the
        admin API's...), never taken for an API's even where an API defines the same name.
        Without targets the scope is only cleared of other APIs' scopes (the caller has cut it to
        what the client may have)."""
        asked = list(dict.fromkeys((scope or "").split()))
        if not asked:  # RFC 6749 3.3: no scope asked -> the API scopes this client may ask
            asked = [name for t in targets for name in t.scopes if t.may_ask(name)]
        targeted = {name for t in targets for name in t.scopes}
        elsewhere = self._api_scopes([n for n in asked if n not in targeted and n not in reserved])
        if not targets:
            kept = [name for name in asked if name not in elsewhere]
        else:
            kept = self._kept_for_targets(client, asked, targets, user_id, effective, elsewhere)
        if asked and not kept:
            raise NothingGrantable("None of the requested scopes can be granted to this client for this API.")
        return " ".join(kept)

    def _kept_for_targets(self, client, asked: list, targets: list[Target], user_id: str | None,
                          effective: tuple | None, elsewhere: set) -> list:
        own = set(client.get_allowed_scope(" ".join(asked)).split()) if asked else set()
        granted_by_roles = self.role_scopes(user_id, effective) if user_id else {}
        kept = []
        for name in asked:
            owner = next((t for t in targets if name in t.scopes), None)
            if owner is None:
                if name in own and name not in elsewhere:
                    kept.append(name)
                continue
            if not owner.may_ask(name):
                continue
            if user_id and name in owner.role_scopes and name not in granted_by_roles.get(owner.identifier, set()):
                continue
            kept.append(name)
        return kept

    def _api_scopes(self, names: list[str]) -> set[str]:
        """Those of `names` some registered API defines (the cached list is read only when needed)."""
        return set(names) & self.known_scopes() if names else set()

    @staticmethod
    def consent_keys(scope: str, targets: list[Target]) -> set[str]:
        """What a remembered consent holds: an API's scopes qualified by the API (identifier#scope;
        an identifier has no fragment), so consenting to one API's `read` never covers another's."""
        keys = set()
        for name in (scope or "").split():
            owner = next((t.identifier for t in targets if name in t.scopes), None)
            keys.add(f"{owner}#{name}" if owner else name)
        return keys

    def role_scopes(self, user_id: str, effective: tuple | None = None) -> dict[str, set[str]]:
        _, roles = effective or self.authorization.effective(user_id)
        return {api: {s for r in rs for s in r["scopes"]} for api, rs in roles.items()}

    @staticmethod
    def policy(targets: list[Target]) -> TokenPolicy:
        """Several APIs: the shortest lifetime, and DPoP when any of them wants it."""
        ttls = [t.ttl for t in targets if t.ttl]
        return TokenPolicy([t.identifier for t in targets], min(ttls) if ttls else None,
                           any(t.dpop_only for t in targets))

    # -- claims -------------------------------------------------------------------------
    def access_token_claims(self, user_id: str | None, targets: list[Target], scope: str,
                            effective: tuple | None = None) -> dict:
        """RFC 9068 2.2.3.1 in a user's token for an API: its roles and entitlements (the API
        scopes those roles grant) always, the user's groups when the `groups` scope was granted."""
        if not user_id or not targets:
            return {}
        groups, roles = effective or self.authorization.effective(user_id)
        identifiers = {t.identifier for t in targets}
        mine = [r for api, rs in roles.items() if api in identifiers for r in rs]
        claims = {}
        bounded(claims, "roles", sorted({r["name"] for r in mine}))
        bounded(claims, "entitlements", sorted({s for r in mine for s in r["scopes"]}))
        if "groups" in scope.split():
            bounded(claims, "groups", groups)
        return claims

    def identity_claims(self, user_id: str, scope: str, identifiers, limit: int | None = MAX_CLAIM_VALUES,
                        organization: str | None = None) -> dict:
        """`groups` / `roles` for the ID token and userinfo, only for the scopes granted; roles of the
        grant's APIs only (in `organization`, the roles held there). limit=None (userinfo,
        introspection): the full lists."""
        scopes = set((scope or "").split())
        if not scopes & set(IDENTITY_SCOPES):
            return {}
        groups, roles = self.authorization.effective(user_id, organization)
        claims: dict = {}
        if "groups" in scopes:
            bounded(claims, "groups", groups, limit)
        if "roles" in scopes:
            bounded(claims, "roles", sorted({r["name"] for api in identifiers for r in roles.get(api, [])}), limit)
        return claims

    def full_lists(self, user_id: str, claims: dict) -> dict:
        """For introspection: the complete list behind an overage marker in a token."""
        out = {}
        groups, roles = self.authorization.effective(user_id, claims.get("org_id"))  # an organization's token: its roles
        if claims.get("groups_overage"):
            out["groups"] = groups
        aud = claims.get("aud")
        identifiers = aud if isinstance(aud, list) else [aud]
        mine = [r for api in identifiers for r in roles.get(api, [])]
        if claims.get("roles_overage"):
            out["roles"] = sorted({r["name"] for r in mine})
        if claims.get("entitlements_overage"):
            out["entitlements"] = sorted({s for r in mine for s in r["scopes"]})
        return out

    def may_introspect(self, client_id: str, claims: dict, issuer: str) -> bool:
        """RFC 7662 4: a client registered as an API's resource server sees only the tokens whose
        aud names one of its APIs; a token for an API is otherwise shown only to the client it was
        issued to; tokens without an API (aud = the issuer) stay visible to any authenticated client."""
        aud = claims.get("aud")
        audience = set(aud if isinstance(aud, list) else [aud])
        served = set(self.authorization.served_by(client_id))
        if served:
            return bool(audience & served)
        return audience == {issuer} or claims.get("client_id") == client_id


def bounded(claims: dict, name: str, values: list, limit: int | None = MAX_CLAIM_VALUES) -> None:
    """A list claim, or past the limit `<name>_overage: true` so the token stays small."""
    if limit is not None and len(values) > limit:
        claims[name + "_overage"] = True
    elif values:
        claims[name] = values


def _target(entry: dict) -> Target:
    allowed = entry["allowed"]
    return Target(entry["identifier"], entry["name"], entry["scopes"], entry["ttl"], entry["dpop_only"],
                  frozenset(entry["role_scopes"]), frozenset(allowed) if allowed is not None else None,
                  tuple(entry.get("claim_mappings") or ()))
