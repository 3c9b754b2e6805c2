"""The organization of an authorization request (issue 33): `organization=<id or slug>`, as Auth0's
SDKs send it, checked against the client's settings and the user's memberships once the user is
known. The answer is the organization's id, which the code, its tokens and its refresh tokens carry;
switching organization is a new authorization request.
"""

from __future__ import annotations

import dataclasses

from idp.observability import audit
from idp.organizations.tenancy import client_settings
from idp.store.organizations import OrganizationView

PARAMETER = "organization"  # an authorization request parameter kept through the interaction
MAX_LENGTH = 64


class Refused(Exception):
    """access_denied by redirect; the message is the error_description (RFC 6749 4.1.2.1)."""


class MustChoose(Exception):
    """The client requires an organization and the request names none: the user picks one."""


@dataclasses.dataclass(frozen=True)
class Chosen:
    id: str
    name: str


def find(services, asked: str) -> OrganizationView | None:
    if not isinstance(asked, str) or not asked or len(asked) > MAX_LENGTH or "\0" in asked:
        return None
    return services.organizations.get(asked) or services.organizations.by_slug(asked)


def decide(services, client_id: str, user_id: str, asked: str | None) -> Chosen | None:
    """The organization the user signs in to (None: none). Refused when the client does not use
    organizations, or may not sign users in to this one, or the user is not its member (unknown and
    not-a-member read the same, so the answer tells no outsider which organizations exist)."""
    settings = client_settings(services, client_id)
    if not asked:
        if settings["usage"] == "require":
            raise MustChoose()
        return None
    if settings["usage"] == "none":
        raise Refused("This application does not sign in to organizations: remove the organization parameter.")
    org = find(services, asked)
    if org is not None and not services.organizations.is_member(org.id, user_id):
        joined_by_domain(services, org, user_id)
    if org is None or not services.organizations.is_member(org.id, user_id):
        raise Refused(f"You are not a member of the organization {_shown(asked)}: "
                      "ask its administrator to invite you, or sign in with another account.")
    if settings["restricted"] and org.id not in settings["allowed"]:
        raise Refused(f"This application is not available to members of {_shown(org.name)}.")
    return Chosen(org.id, org.name)


def joined_by_domain(services, org: OrganizationView, user_id: str) -> bool:
    """Just-in-time membership: an organization that allows it takes in a user whose verified email
    is in one of its verified domains, on their first sign-in to it (with no roles)."""
    if not org.domain_membership:
        return False
    user = services.users.by_id(user_id)
    if user is None or not user.email_verified or not services.organizations.in_verified_domain(org.id, user.email):
        return False
    if services.organizations.add_member(org.id, user.id):
        audit.record("organization.member_joined_by_domain", user_id=user.id, organization_id=org.id,
                     organization=org.slug)
    return True


def choices(services, user_id: str, limit: int = 100) -> list[OrganizationView]:
    """The user's organizations the picker shows (by slug; more than `limit`: the user types one)."""
    return services.organizations.organizations_of(user_id, limit=limit)


def still_member(services, organization_id: str, user_id: str) -> Chosen | None:
    """At the token endpoint (a code, a refresh): the organization, if the user is still its member."""
    if services.authorization.organization_roles(organization_id, user_id) is None:
        return None
    return named(services, organization_id)


def named(services, organization_id: str) -> Chosen | None:
    """The organization's id and name, cached (a rename or a deletion bumps the cache's version)."""
    def compute():
        org = services.organizations.get(organization_id)
        return [org.id, org.name] if org else None
    found = services.authorization.shared("org-name:" + organization_id, compute)
    return Chosen(*found) if found else None


def _shown(asked: str) -> str:
    """The asked value as the description may quote it (RFC 6749: error_description is %x20-21 /
    %x23-5B / %x5D-7E)."""
    return "".join(c for c in asked if 0x20 <= ord(c) <= 0x7E and c not in '"\\')[:MAX_LENGTH]
