"""Organizations as administrators manage them: the admin API's /organizations and `idp orgs`.

Tenant isolation lives here, not in the surfaces: an Actor limited to an organization (an admin API
client made with `idp clients create --organization`) finds only that organization; any other
organization, and any user who is not its member, is NotFound, exactly as if it did not exist, so
no answer tells one tenant about another. A limited actor cannot create or delete organizations.

Every change is audited with its Actor and the organization; changes of an organization are
conditional on the version the caller read (ETag / If-Match).
"""

from __future__ import annotations

import re

from idp.administration import DEFAULT_LIMIT, Actor, Page, check_limit, check_version, page_of, version_of
from idp.administration.apis import key_after, storable, text
from idp.administration.errors import Duplicate, Invalid, NotFound, PreconditionFailed
from idp.events import types as events
from idp.observability import audit
from idp.plumbing.web_urls import parse_web_url
from idp.store.errors import Conflict, StaleVersion
from idp.store.organizations import BRANDING, ORG_ADMIN, MemberView, NotMember, OrganizationView

SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")  # a DNS label: it may name a subdomain one day
COLOR = re.compile(r"#[0-9a-fA-F]{6}")
FIELDS = ("slug", "name", *BRANDING)
MAX_URL = 2048


def organization_version(org: OrganizationView) -> str:
    return version_of("organization", org.id, org.version)


def organization_document(org: OrganizationView) -> dict:
    return {"id": org.id, "slug": org.slug, "name": org.name, "domain_membership": org.domain_membership,
            "branding": {name: getattr(org, name) for name in BRANDING}}


def role_document(role: tuple) -> dict:
    return {"api": role[0], "name": role[1]}


def member_document(member: MemberView) -> dict:
    return {"user_id": member.user_id, "email": member.email, "roles": [role_document(r) for r in member.roles]}


def logo_problem(value) -> str | None:
    """What is wrong with a logo URL, or None: the client logo_uri's rules (idp/plumbing/web_urls.py:
    RFC 3986 characters only, a strict host, no user information), and https only, loopback included."""
    try:
        url = parse_web_url(value)
    except ValueError as exc:
        return str(exc)
    return None if url.scheme == "https" else "https only"


def check_fields(fields, required: tuple = ()) -> dict:
    """Every wrong member at once; `branding` is an object of logo_url / primary_color / background_color /
    display_name (what the organization's sign-in pages show instead of the deployment's brand)."""
    if not isinstance(fields, dict):
        raise Invalid({"body": "must be a JSON object"})
    errors = {name: "is not a member of this resource" for name in fields
              if name not in ("slug", "name", "branding", "domain_membership")}
    errors.update({name: "is required" for name in required if name not in fields})
    if "slug" in fields and not (isinstance(fields["slug"], str) and SLUG.fullmatch(fields["slug"])):
        errors["slug"] = "1 to 63 lowercase letters, digits and inner hyphens (a DNS label)"
    if "name" in fields:
        text(errors, "name", fields["name"])
    if "domain_membership" in fields and type(fields["domain_membership"]) is not bool:
        errors["domain_membership"] = "true or false"
    out = {k: fields[k] for k in ("slug", "name", "domain_membership") if k in fields and k not in errors}
    if "name" in out:
        out["name"] = out["name"].strip()
    branding = fields.get("branding", {})
    if not isinstance(branding, dict):
        errors["branding"] = "an object of logo_url, primary_color, background_color, display_name"
        branding = {}
    for name, value in branding.items():
        if name not in BRANDING:
            errors[f"branding.{name}"] = "is not a member of this resource"
        elif value is None:
            out[name] = None
        elif name == "logo_url":
            if (problem := logo_problem(value)) is not None:
                errors["branding.logo_url"] = f"an https URL of at most {MAX_URL} characters, or null ({problem})"
            else:
                out[name] = parse_web_url(value).url  # written again from its parsed parts
        elif name == "display_name":
            text(errors, "branding.display_name", value)
            if "branding.display_name" not in errors:
                out[name] = value.strip()
        elif not (isinstance(value, str) and COLOR.fullmatch(value)):
            errors[f"branding.{name}"] = "a colour #rrggbb, or null"
        else:
            out[name] = value.lower()
    if errors:
        raise Invalid(errors)
    return out


class OrganizationAdmin:
    def __init__(self, services):
        self.orgs = services.organizations
        self.users = services.users
        self.events = services.events  # the webhook outbox: a membership commits with its event

    # -- tenancy ----------------------------------------------------------------------------
    @staticmethod
    def _deployment_wide(actor: Actor, what: str) -> None:
        if actor.organization is not None:
            raise NotFound("resource", what)

    def may_create(self, actor: Actor) -> None:
        """Creating and deleting organizations are the deployment's acts: NotFound to a limited actor."""
        self._deployment_wide(actor, "organizations")

    def get(self, actor: Actor, organization_id) -> OrganizationView:
        """By id or slug; NotFound for an organization outside the actor's."""
        org = None
        if isinstance(organization_id, str) and len(organization_id) <= 64 and storable(organization_id):
            org = self.orgs.get(organization_id) or self.orgs.by_slug(organization_id)
        if org is None or (actor.organization is not None and org.id != actor.organization):
            raise NotFound("organization", str(organization_id).replace("\0", ""))
        return org

    def _member(self, actor: Actor, organization_id: str, user_id) -> tuple[OrganizationView, MemberView]:
        org = self.get(actor, organization_id)
        member = self.orgs.member(org.id, user_id) if isinstance(user_id, str) and len(user_id) <= 36 \
            and storable(user_id) else None
        if member is None:
            raise NotFound("member", str(user_id), f"user {user_id} is not a member of {org.slug}")
        return org, member

    # -- organizations ------------------------------------------------------------------------
    def list(self, actor: Actor, *, after: list | None = None, limit: int = DEFAULT_LIMIT,
             search: str | None = None) -> Page:
        """By slug; a limited actor sees its own organization only; search: slug or name containing it."""
        check_limit(limit)
        if search is not None and not (isinstance(search, str) and len(search) <= 255 and storable(search)):
            raise Invalid({"search": "at most 255 characters"})
        rows = self.orgs.page(after=key_after(after), limit=limit + 1, only=actor.organization,
                              search=search.strip() if search else None)
        return page_of(rows, limit, lambda org: [org.slug])

    def create(self, actor: Actor, fields) -> OrganizationView:
        self._deployment_wide(actor, "organizations")
        fields = check_fields(fields, required=("slug", "name"))
        try:
            org = self.orgs.create(**fields)
        except Conflict:
            raise Duplicate("slug", f"an organization {fields['slug']} already exists") from None
        audit.record("organization.created", actor=actor.label, organization_id=org.id, organization=org.slug)
        return org

    def update(self, actor: Actor, organization_id: str, changes, version: str | None = None) -> OrganizationView:
        """A merge patch of slug, name and branding; a limited actor may change its branding and name."""
        changes = check_fields(changes)
        current = self.get(actor, organization_id)
        check_version(version, organization_version(current))
        if "slug" in changes and actor.organization is not None and changes["slug"] != current.slug:
            raise Invalid({"slug": "only a deployment administrator changes an organization's slug"})
        if changes.get("domain_membership") and not any(d.verified for d in self.orgs.domains(current.id, limit=100)):
            raise Invalid({"domain_membership": "the organization has no verified domain yet"})
        try:
            org = self.orgs.update(current.id, current.version, **changes)
        except StaleVersion:
            raise PreconditionFailed() from None
        except Conflict:
            raise Duplicate("slug", f"an organization {changes.get('slug')} already exists") from None
        if org is None:
            raise NotFound("organization", organization_id)
        audit.record("organization.updated", actor=actor.label, organization_id=org.id, organization=org.slug,
                     changed=sorted(changes))
        return org

    def delete(self, actor: Actor, organization_id: str, version: str | None = None) -> None:
        """With its memberships, roles and domains; tokens already issued keep their org_id until they
        expire, and its refresh tokens stop working (the grant's organization is checked on refresh)."""
        self._deployment_wide(actor, str(organization_id))
        current = self.get(actor, organization_id)
        check_version(version, organization_version(current))
        try:
            deleted = self.orgs.delete(current.id, current.version if version else None)
        except StaleVersion:
            raise PreconditionFailed() from None
        if not deleted:
            raise NotFound("organization", organization_id)
        audit.record("organization.deleted", actor=actor.label, organization_id=current.id, organization=current.slug)

    # -- members ------------------------------------------------------------------------------
    def members(self, actor: Actor, organization_id: str, *, after: list | None = None,
                limit: int = DEFAULT_LIMIT) -> Page:
        """By user_id, each with its roles in the organization."""
        check_limit(limit)
        org = self.get(actor, organization_id)
        rows = self.orgs.members(org.id, after=key_after(after), limit=limit + 1)
        return page_of(rows, limit, lambda member: [member.user_id])

    def member(self, actor: Actor, organization_id: str, user_id: str) -> MemberView:
        return self._member(actor, organization_id, user_id)[1]

    def add_member(self, actor: Actor, organization_id: str, user_id: str) -> MemberView:
        """Adding a member twice changes nothing. An actor limited to the organization adds only users
        whose email is in one of its verified domains: any other user is NotFound to it, as a user of
        another tenant must be (it would otherwise read their email in the member list)."""
        org = self.get(actor, organization_id)
        user = self.users.by_id(user_id) if isinstance(user_id, str) and len(user_id) <= 36 \
            and storable(user_id) else None
        if user is None or (actor.organization is not None and not self._in_verified_domain(org.id, user)):
            raise NotFound("user", str(user_id))
        with self.events.change():
            added = self.orgs.add_member(org.id, user_id)
            if added:
                self.events.emit("organization.member_added", events.membership(org.id, user_id), user_id=user_id)
        if added:
            audit.record("organization.member_added", actor=actor.label, user_id=user_id, organization_id=org.id,
                         organization=org.slug)
        return self.orgs.member(org.id, user_id)

    def _in_verified_domain(self, organization_id: str, user) -> bool:
        """The user proved the address (email_verified) and the organization proved the domain."""
        return user.email_verified and self.orgs.in_verified_domain(organization_id, user.email)

    def remove_member(self, actor: Actor, organization_id: str, user_id: str) -> None:
        org, member = self._member(actor, organization_id, user_id)
        with self.events.change():
            removed = self.orgs.remove_member(org.id, member.user_id)
            if removed:
                self.events.emit("organization.member_removed", events.membership(org.id, user_id),
                                 user_id=member.user_id)
        if not removed:
            raise NotFound("member", user_id, f"user {user_id} is not a member of {org.slug}")
        audit.record("organization.member_removed", actor=actor.label, user_id=user_id, organization_id=org.id,
                     organization=org.slug)

    def set_roles(self, actor: Actor, organization_id: str, user_id: str, roles) -> MemberView:
        """Replaces the member's roles: [{"api": identifier, "name": role}, ..., {"api": null, "name":
        "org:admin"}]; each API role must exist. The member's next token carries them."""
        pairs = check_roles(roles)
        org, member = self._member(actor, organization_id, user_id)
        try:
            updated = self.orgs.set_roles(org.id, member.user_id, pairs)
        except NotMember:
            raise NotFound("member", user_id, f"user {user_id} is not a member of {org.slug}") from None
        except LookupError as exc:
            raise Invalid({"roles": str(exc)}) from None
        audit.record("organization.roles_set", actor=actor.label, user_id=user_id, organization_id=org.id,
                     organization=org.slug, roles=[f"{a}#{n}" if a else n for a, n in pairs])
        return updated


def check_roles(roles) -> list[tuple[str | None, str]]:
    problem = {"roles": f'an array of {{"api": identifier, "name": role}}, or {{"api": null, "name": "{ORG_ADMIN}"}}'}
    if not isinstance(roles, list) or len(roles) > 200:
        raise Invalid(problem)
    pairs = []
    for role in roles:
        if not (isinstance(role, dict) and set(role) == {"api", "name"} and isinstance(role["name"], str)
                and storable(role["name"]) and (role["api"] is None or isinstance(role["api"], str)
                                                and storable(role["api"]))):
            raise Invalid(problem)
        if role["api"] is None and role["name"] != ORG_ADMIN:
            raise Invalid({"roles": f"the only role without an API is {ORG_ADMIN}"})
        pairs.append((role["api"], role["name"]))
    return list(dict.fromkeys(pairs))
