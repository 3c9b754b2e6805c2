"""Effective groups and roles of a user, computed once per token issuance and cached in the
shared store under a version every registry change bumps: a replica whose cached entry names an
older version recomputes, so a change reaches the next token on every replica at once, and a
cached answer needs no database read."""

from __future__ import annotations

import json
import logging
import secrets

from idp.store.apis import ApiRegistry, RoleView
from idp.store.ephemeral import EphemeralStore, is_outage
from idp.store.feed import Feed
from idp.store.versions import DurableVersion

log = logging.getLogger(__name__)
VERSION_KEY = "authz:version"
CACHE_TTL = 300


LOCAL_ENTRIES = 10_000  # answers this process keeps beside Redis (while its feed is live)


class Authorization:
    def __init__(self, registry: ApiRegistry, store: EphemeralStore, feed: Feed | None = None,
                 durable: DurableVersion | None = None):
        self.registry = registry
        self.store = store
        self.feed = feed  # mirrors VERSION_KEY: while live, an answer kept here needs no Redis read
        # The in-process store: the version lives in the database too, so that a change made by another
        # process (the CLI beside a running embedded server) reaches this one's cache at once.
        self.durable = durable
        self._local: dict[str, tuple[str | None, str]] = {}  # key -> (version, JSON of the value)
        registry.on_change = self.changed
        self.organizations = None  # idp.store.organizations.Organizations, wired by build_services

    def watch(self, organizations) -> None:
        """Organization membership and role changes bump the same version as the registry's (issue 33)."""
        self.organizations = organizations
        organizations.on_change = self.changed

    def changed(self) -> None:
        """Any API, group, role or membership change: every cached answer becomes stale. With Redis
        unreachable the change is already in the database; cached answers then age out (CACHE_TTL)."""
        if self.durable is not None:
            self.durable.bump()
            return
        try:
            self.store.announce([(VERSION_KEY, secrets.token_hex(8), 30 * 86400)])
        except Exception as exc:
            if not is_outage(exc):
                raise
            log.warning("authorization cache version not bumped: the shared store is unreachable")

    def _cached(self, key: str, compute):
        """compute()'s JSON value, reused while no registry change happened since it was stored.
        Redis down: the database answers (tokens keep being issued, as revocation checks do)."""
        if self.feed is not None and self.feed.live():
            kept = self._local.get(key)
            if kept is not None and kept[0] == self.feed.mget([VERSION_KEY])[0]:
                return json.loads(kept[1])  # a fresh copy: callers may change what they get
        try:
            if self.durable is not None:
                version, cached = self.durable.get(), self.store.mget([key])[0]
            else:
                version, cached = self.store.mget([VERSION_KEY, key])
        except Exception as exc:
            if not is_outage(exc):
                raise
            return compute()
        if cached:
            entry = json.loads(cached)
            if entry["v"] == version:
                self._keep(key, version, entry["value"])
                return entry["value"]
        value = compute()
        self._keep(key, version, value)
        try:
            self.store.set(key, json.dumps({"v": version, "value": value}), CACHE_TTL)
        except Exception as exc:
            if not is_outage(exc):
                raise
        return value

    def shared(self, key: str, compute):
        """compute()'s JSON value under `key`, cached like the roles: for other domains whose answers
        every registry or organization change may alter (the clients' organization settings)."""
        return self._cached("authz:" + key, compute)

    def _keep(self, key: str, version: str | None, value) -> None:
        if self.feed is None:
            return
        if len(self._local) >= LOCAL_ENTRIES:
            self._local = {}
        self._local[key] = (version, json.dumps(value))

    def effective(self, user_id: str, organization: str | None = None) -> tuple[list[str], dict[str, list[dict]]]:
        """(group names, roles by API identifier as {name, scopes}). With an organization (its id): the
        roles are the user's roles in that organization only (none when no longer a member)."""
        def compute():
            groups, roles = self.registry.memberships(user_id)
            return [groups, {api: [_plain(r) for r in rs] for api, rs in roles.items()}]
        groups, roles = self._cached("authz:user:" + user_id, compute)
        if organization is not None:
            scoped = self._organization(organization, user_id)
            groups = sorted(set(groups) | set(scoped["groups"])) if scoped else groups
            roles = scoped["roles"] if scoped else {}
        return groups, roles

    def organization_roles(self, organization: str, user_id: str) -> dict[str, list[dict]] | None:
        """The member's API roles in the organization, None when the user is not its member: the
        roles of the membership and those of the organization's groups the user is in (directly or
        through a group inside one), never a deployment-wide role (docs/organizations.md)."""
        scoped = self._organization(organization, user_id)
        return scoped["roles"] if scoped else None

    def _organization(self, organization: str, user_id: str) -> dict | None:
        """{"groups": the organization's group names, "roles": ...} for a member, else None; cached."""
        def compute():
            roles = self.organizations.roles_in(organization, user_id)
            if roles is None:
                return None
            groups, given = self.registry.memberships(user_id, organization)
            for api, held in given.items():
                names = {role["name"] for role in roles.get(api, [])}
                roles.setdefault(api, []).extend(_plain(r) for r in held if r.name not in names)
            return {"groups": groups, "roles": roles}
        return self._cached(f"authz:org-scope:{organization}:{user_id}", compute)  # a new key: old entries held roles only

    def client_apis(self, client_id: str) -> list[dict]:
        """The APIs a client may ask tokens for: each API's policy and the allowance's scopes
        (None: all) and default flag; read on every token request, so cached like the roles."""
        def compute():
            out = []
            for allowance in self.registry.allowances(client_id):
                api = self.registry.api(allowance.identifier)
                if api is not None:
                    out.append({"identifier": api.identifier, "name": api.name, "scopes": api.scopes,
                                "ttl": api.access_token_ttl, "dpop_only": api.dpop_only,
                                "role_scopes": list(api.role_scopes), "allowed": allowance.scopes,
                                "default": allowance.is_default,
                                "claim_mappings": [dict(m) for m in api.claim_mappings]})
            return out
        return self._cached("authz:client:" + client_id, compute)

    def served_by(self, client_id: str) -> list[str]:
        """The APIs that introspect as this client (RFC 7662: a resource server sees its own tokens)."""
        return self._cached("authz:rs:" + client_id, lambda: sorted(self.registry.served_by(client_id)))

    def all_api_scopes(self) -> set[str]:
        """Every scope some registered API defines (so that an OpenID request does not drop them)."""
        def compute():
            names, after = set(), ""
            while page := self.registry.apis(after=after, limit=500):
                for api in page:
                    names.update(api.scopes)
                after = page[-1].identifier
            return sorted(names)
        return set(self._cached("authz:scopes", compute))


def _plain(role: RoleView) -> dict:
    return {"name": role.name, "scopes": role.scopes}
