"""An organization's email domains (issue 33): claimed with a random token, verified once the domain's
DNS holds it as a TXT record at `_idp-verification.<domain>` (the way Google Workspace, Auth0 and
Zitadel prove control of a domain). The DNS lookup is behind `DomainCheck`, so tests and other
deployments answer it their own way; dnspython does the lookup (the standard library has no TXT query).

A verified domain lets an organization-limited administrator add users whose verified email is in it.
"""

from __future__ import annotations

import re
import secrets
from typing import Protocol

from idp.administration import DEFAULT_LIMIT, Actor, Page, check_limit, page_of
from idp.administration.apis import key_after
from idp.administration.errors import Conflict, Duplicate, Invalid, NotFound
from idp.observability import audit
from idp.organizations.admin import OrganizationAdmin
from idp.store.errors import Conflict as Taken
from idp.store.organizations import DomainView

RECORD_PREFIX = "_idp-verification."
TOKEN_PREFIX = "idp-domain-verification="
# A host name (RFC 1123 2.1) of at least two labels, lowercase: what an email's domain part can be.
DOMAIN = re.compile(r"(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]")


class DomainCheck(Protocol):
    def txt_records(self, name: str) -> list[str]:
        """The TXT strings published at `name` ([] when none or the name does not exist); raises
        LookupError when the DNS cannot answer now."""


class DnsTxtCheck:
    """The deployment's resolver, with a short timeout: an administrator waits on it."""

    def __init__(self, timeout: float = 5.0):
        self.timeout = timeout

    def txt_records(self, name: str) -> list[str]:
        import dns.exception
        import dns.resolver

        try:
            answer = dns.resolver.resolve(name, "TXT", lifetime=self.timeout)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.exception.DNSException as exc:
            raise LookupError(f"the DNS did not answer for {name}: {exc.__class__.__name__}") from None
        return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]


def domain_document(domain: DomainView) -> dict:
    return {"domain": domain.domain, "verified": domain.verified,
            "verification": {"type": "dns-txt", "name": RECORD_PREFIX + domain.domain,
                             "value": TOKEN_PREFIX + domain.verification_token}}


class DomainAdmin:
    def __init__(self, services, check: DomainCheck | None = None):
        self.orgs = services.organizations
        self.admin = OrganizationAdmin(services)
        self.check = check or services.domain_check

    def list(self, actor: Actor, organization_id: str, *, after: list | None = None,
             limit: int = DEFAULT_LIMIT) -> Page:
        check_limit(limit)
        org = self.admin.get(actor, organization_id)
        rows = self.orgs.domains(org.id, after=key_after(after), limit=limit + 1)
        return page_of(rows, limit, lambda domain: [domain.domain])

    def get(self, actor: Actor, organization_id: str, domain: str) -> DomainView:
        org = self.admin.get(actor, organization_id)
        found = self.orgs.domain(org.id, domain.lower()) if isinstance(domain, str) and len(domain) <= 253 else None
        if found is None:
            raise NotFound("domain", str(domain))
        return found

    def claim(self, actor: Actor, organization_id: str, domain) -> DomainView:
        """A domain no organization has claimed; unverified until verify() finds its token."""
        org = self.admin.get(actor, organization_id)
        name = domain.strip().lower().rstrip(".") if isinstance(domain, str) else ""
        if not DOMAIN.fullmatch(name):
            raise Invalid({"domain": "a DNS domain name of two or more labels (example.com)"})
        try:
            claimed = self.orgs.add_domain(org.id, name, secrets.token_urlsafe(24))
        except Taken:
            raise Duplicate("domain", f"{name} is already claimed") from None
        audit.record("organization.domain_claimed", actor=actor.label, organization_id=org.id,
                     organization=org.slug, domain=name)
        return claimed

    def verify(self, actor: Actor, organization_id: str, domain: str) -> DomainView:
        """Looks the token up now; Conflict (409) when the record is not (yet) there or the DNS fails."""
        found = self.get(actor, organization_id, domain)
        if found.verified:
            return found
        try:
            records = self.check.txt_records(RECORD_PREFIX + found.domain)
        except LookupError as exc:
            raise Conflict(f"{exc}; try again later") from None
        if TOKEN_PREFIX + found.verification_token not in records:
            raise Conflict(f"no TXT record {TOKEN_PREFIX}… at {RECORD_PREFIX}{found.domain} yet: publish it, "
                           "then verify again")
        self.orgs.mark_verified(found.id)
        audit.record("organization.domain_verified", actor=actor.label, organization_id=found.organization_id,
                     domain=found.domain)
        return self.get(actor, organization_id, domain)

    def remove(self, actor: Actor, organization_id: str, domain: str) -> None:
        found = self.get(actor, organization_id, domain)
        self.orgs.remove_domain(found.organization_id, found.domain)
        audit.record("organization.domain_removed", actor=actor.label, organization_id=found.organization_id,
                     domain=found.domain)
