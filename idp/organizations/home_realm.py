"""Home-realm discovery and sign-in through an organization's enterprise connection (issue 33).

On the login page's first step the person types an email; when its domain is one an organization has
VERIFIED (a DNS TXT record, domains.py) and that organization has an enterprise connection, the
sign-in goes to that connection instead of asking for a password here. An unclaimed or unverified
domain routes nowhere: claiming a domain proves nothing until its DNS does.

What comes back is trusted for that organization only: a first sign-in makes a user only for an email
(verified upstream) in one of the organization's verified domains, so an organization's upstream
cannot mint accounts for another organization's, or anyone else's, addresses. The user, the identity
and the membership are made in one transaction (idp/store/organization_connections.py).
"""

from __future__ import annotations

import dataclasses

from idp.observability import audit
from idp.store.errors import Conflict
from idp.store.organization_connections import ConnectionView

MAX_EMAIL = 320


@dataclasses.dataclass(frozen=True)
class Outcome:
    """user: signed in; link_to: an existing account with that email (linked only after its owner signs
    in with its password, idp/federation/linking.py); refused: why nothing happened."""

    user: object | None = None
    link_to: str | None = None
    refused: str | None = None


def email_domain(email) -> str | None:
    if not isinstance(email, str) or len(email) > MAX_EMAIL or email.count("@") != 1:
        return None
    local, domain = email.strip().lower().split("@")
    return domain.rstrip(".") if local and domain else None


def connection_for(services, email) -> ConnectionView | None:
    """The enterprise connection an email's domain is routed to, or None (no routing)."""
    domain = email_domain(email)
    return services.org_connections.for_email_domain(domain) if domain else None


def sign_in(services, connection: ConnectionView, upstream) -> Outcome:
    """The local user for an identity the connection vouched for, a member of its organization."""
    org = services.organizations.get(connection.organization_id)
    if org is None:
        return Outcome(refused="gone")
    known = services.federated.find(connection.id, upstream.subject)
    if known is not None:
        user = services.users.by_id(known.user_id)
        if user is not None and not user.disabled and services.org_connections.join(org.id, user.id):
            audit.record("organization.member_joined_by_connection", user_id=user.id, organization_id=org.id,
                         organization=org.slug, provider=connection.id)
        return Outcome(user=user)
    if not upstream.email or not upstream.email_verified:
        audit.record("federation.refused", provider=connection.id, organization_id=org.id, reason="unverified_email")
        return Outcome(refused="unverified_email")
    if not services.organizations.in_verified_domain(org.id, upstream.email):
        audit.record("federation.refused", provider=connection.id, organization_id=org.id, reason="foreign_domain")
        return Outcome(refused="foreign_domain")
    local = services.users.by_email(upstream.email)
    if local is not None:
        return Outcome(link_to=local.id)
    try:
        user = services.org_connections.create_member(connection, upstream.subject, upstream.email, upstream.name)
    except Conflict:  # a concurrent first sign-in won the race (or the organization went): read again
        known = services.federated.find(connection.id, upstream.subject)
        user = services.users.by_id(known.user_id) if known else None
        return Outcome(user=user) if user else Outcome(refused="conflict")
    audit.record("federation.user_created", user_id=user.id, provider=connection.id, organization_id=org.id,
                 organization=org.slug)
    audit.record("organization.member_joined_by_connection", user_id=user.id, organization_id=org.id,
                 organization=org.slug, provider=connection.id)
    return Outcome(user=user)
