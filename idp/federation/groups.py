"""Upstream groups -> local groups, per provider (issue 21): a provider configured with a
group_map ({"upstream": "local"}) makes the user's membership of every mapped local group follow
the upstream at each sign-in — added when an upstream group maps to it, removed when none does.
Local groups the map does not name are never touched; the mapped ones are owned by the provider."""

from __future__ import annotations

from idp.config import ProviderConfig

MAX_UPSTREAM_GROUPS = 1000  # values read from one sign-in; the rest are ignored


def upstream_groups(provider: ProviderConfig, value) -> tuple | None:
    """The upstream's list as strings; None when the provider maps no groups. A missing or malformed
    claim is an empty list: the upstream did not say the user is in any group."""
    if not provider.group_map:
        return None
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value[:MAX_UPSTREAM_GROUPS] if isinstance(v, str) and v)


def local_memberships(provider: ProviderConfig, groups: tuple) -> tuple[set[str], set[str]]:
    """(local groups the user is in according to the upstream, mapped local groups they are not in)."""
    mapped = {local for _, local in provider.group_map}
    member_of = {local for upstream, local in provider.group_map if upstream in set(groups)}
    return member_of, mapped - member_of
