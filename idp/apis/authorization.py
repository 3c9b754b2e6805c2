"""Effective groups and roles of a user, computed once per token issuance and cached in the
shared store under a version every registry change bumps: a replica whose cached entry names an
older version recomputes, so a change reaches the next token on every replica at once, and a
cached answer needs no database read."""

from __future__ import annotations

import json
import secrets

from idp.store.apis import ApiRegistry, RoleView
from idp.store.ephemeral import EphemeralStore

VERSION_KEY = "authz:version"
CACHE_TTL = 300


class Authorization:
    def __init__(self, registry: ApiRegistry, store: EphemeralStore):
        self.registry = registry
        self.store = store
        registry.on_change = self.changed

    def changed(self) -> None:
        """Any API, group, role or membership change: every cached answer becomes stale."""
        self.store.set(VERSION_KEY, secrets.token_hex(8), 30 * 86400)

    def effective(self, user_id: str) -> tuple[list[str], dict[str, list[dict]]]:
        """(group names, roles by API identifier as {name, scopes})."""
        key = "authz:user:" + user_id
        version, cached = self.store.mget([VERSION_KEY, key])
        if cached:
            entry = json.loads(cached)
            if entry["v"] == version:
                return entry["groups"], entry["roles"]
        groups, roles = self.registry.memberships(user_id)
        plain = {api: [_plain(r) for r in rs] for api, rs in roles.items()}
        self.store.set(key, json.dumps({"v": version, "groups": groups, "roles": plain}), CACHE_TTL)
        return groups, plain


def _plain(role: RoleView) -> dict:
    return {"name": role.name, "scopes": role.scopes}
