"""/admin/api/v1/organizations (issue 33): organizations, their members and the members' roles in
them; the rules, tenant isolation included, are OrganizationAdmin's (idp/organizations/admin.py).

Changing or deleting an organization needs If-Match; adding a member (PUT) is a set operation
(again: no change); a member's roles are replaced as a whole (PUT …/roles).
"""

from __future__ import annotations

from flask import jsonify, url_for

from idp.admin.api.framework import (
    READ,
    WRITE,
    bp,
    current_actor,
    if_match,
    json_body,
    page_args,
    page_response,
    requires,
    resource,
)
from idp.organizations.admin import (
    OrganizationAdmin,
    member_document,
    organization_document,
    organization_version,
    role_document,
)
from idp.organizations.domains import DomainAdmin, domain_document
from idp.organizations.invitations import InvitationAdmin, invitation_document
from idp.plumbing.context import services

ORG_MEMBERS = {"slug": (str,), "name": (str,), "branding": (dict,), "domain_membership": (bool,)}


def admin() -> OrganizationAdmin:
    return OrganizationAdmin(services())


@bp.get("/organizations")
@requires(READ, tenant=True)
def list_organizations():
    """?limit=, ?cursor=; by slug."""
    return page_response(admin().list(current_actor(), **page_args()), organization_document)


@bp.post("/organizations")
@requires(WRITE, tenant=True)
def create_organization():
    organizations = admin()
    organizations.may_create(current_actor())  # refused before the body is read: a limited actor learns nothing
    org = organizations.create(current_actor(), json_body(ORG_MEMBERS, required=("slug", "name")))
    return resource(organization_document(org), organization_version(org), 201,
                    url_for("admin_api.get_organization", organization_id=org.id))


@bp.get("/organizations/<organization_id>")
@requires(READ, tenant=True)
def get_organization(organization_id):
    """By id or slug."""
    org = admin().get(current_actor(), organization_id)
    return resource(organization_document(org), organization_version(org))


@bp.patch("/organizations/<organization_id>")
@requires(WRITE, tenant=True)
def update_organization(organization_id):
    """A merge patch (RFC 7396) of slug, name and branding; If-Match required."""
    organizations = admin()
    organizations.get(current_actor(), organization_id)  # outside the actor's organization: 404 before anything
    version = if_match()
    org = organizations.update(current_actor(), organization_id, json_body(ORG_MEMBERS), version)
    return resource(organization_document(org), organization_version(org))


@bp.delete("/organizations/<organization_id>")
@requires(WRITE, tenant=True)
def delete_organization(organization_id):
    organizations = admin()
    organizations.may_create(current_actor())  # a deployment's act: 404 to a limited actor, before If-Match
    organizations.delete(current_actor(), organization_id, if_match())
    return "", 204


@bp.get("/organizations/<organization_id>/members")
@requires(READ, tenant=True)
def list_organization_members(organization_id):
    """By user_id, each member with its roles in the organization."""
    return page_response(admin().members(current_actor(), organization_id, **page_args()), member_document)


@bp.get("/organizations/<organization_id>/members/<user_id>")
@requires(READ, tenant=True)
def get_organization_member(organization_id, user_id):
    return jsonify(member_document(admin().member(current_actor(), organization_id, user_id)))


@bp.put("/organizations/<organization_id>/members/<user_id>")
@requires(WRITE, tenant=True)
def add_organization_member(organization_id, user_id):
    return jsonify(member_document(admin().add_member(current_actor(), organization_id, user_id)))


@bp.delete("/organizations/<organization_id>/members/<user_id>")
@requires(WRITE, tenant=True)
def remove_organization_member(organization_id, user_id):
    admin().remove_member(current_actor(), organization_id, user_id)
    return "", 204


@bp.get("/organizations/<organization_id>/members/<user_id>/roles")
@requires(READ, tenant=True)
def list_organization_member_roles(organization_id, user_id):
    member = admin().member(current_actor(), organization_id, user_id)
    return jsonify(items=[role_document(r) for r in member.roles])


@bp.put("/organizations/<organization_id>/members/<user_id>/roles")
@requires(WRITE, tenant=True)
def set_organization_member_roles(organization_id, user_id):
    """Replaces the member's roles in the organization: {"roles": [{"api": …, "name": …}]}."""
    organizations = admin()
    organizations.member(current_actor(), organization_id, user_id)  # 404 before the body is read
    body = json_body({"roles": (list,)}, required=("roles",))
    member = organizations.set_roles(current_actor(), organization_id, user_id, body["roles"])
    return jsonify(items=[role_document(r) for r in member.roles])


# -- email domains (verified by a DNS TXT record: idp/organizations/domains.py) ---------------------
def domains() -> DomainAdmin:
    return DomainAdmin(services())


@bp.get("/organizations/<organization_id>/domains")
@requires(READ, tenant=True)
def list_organization_domains(organization_id):
    """By domain; each with the TXT record that verifies it."""
    return page_response(domains().list(current_actor(), organization_id, **page_args()), domain_document)


@bp.post("/organizations/<organization_id>/domains")
@requires(WRITE, tenant=True)
def claim_organization_domain(organization_id):
    """{"domain": "example.com"}: claimed, unverified until its TXT record is published and verified."""
    admin().get(current_actor(), organization_id)  # 404 before the body is read
    body = json_body({"domain": (str,)}, required=("domain",))
    domain = domains().claim(current_actor(), organization_id, body["domain"])
    response = jsonify(domain_document(domain))
    response.status_code = 201
    return response


@bp.get("/organizations/<organization_id>/domains/<domain>")
@requires(READ, tenant=True)
def get_organization_domain(organization_id, domain):
    return jsonify(domain_document(domains().get(current_actor(), organization_id, domain)))


@bp.post("/organizations/<organization_id>/domains/<domain>/verify")
@requires(WRITE, tenant=True)
def verify_organization_domain(organization_id, domain):
    """Looks the TXT record up now: 200 verified, 409 when it is not there (yet) or the DNS fails."""
    return jsonify(domain_document(domains().verify(current_actor(), organization_id, domain)))


@bp.delete("/organizations/<organization_id>/domains/<domain>")
@requires(WRITE, tenant=True)
def remove_organization_domain(organization_id, domain):
    domains().remove(current_actor(), organization_id, domain)
    return "", 204


# -- invitations (one-time links by email: idp/organizations/invitations.py) ------------------------
@bp.get("/organizations/<organization_id>/invitations")
@requires(READ, tenant=True)
def list_organization_invitations(organization_id):
    """By id; accepted ones stay listed (accepted: true)."""
    return page_response(InvitationAdmin(services()).list(current_actor(), organization_id, **page_args()),
                         invitation_document)


@bp.post("/organizations/<organization_id>/invitations")
@requires(WRITE, tenant=True)
def invite_to_organization(organization_id):
    """{"email", "roles"?, "ttl"?}: the link goes by email, never in this answer."""
    admin().get(current_actor(), organization_id)  # 404 before the body is read
    body = json_body({"email": (str,), "roles": (list,), "ttl": (int,)}, required=("email",))
    invitation = InvitationAdmin(services()).invite(current_actor(), organization_id, body)
    response = jsonify(invitation_document(invitation))
    response.status_code = 201
    return response


@bp.delete("/organizations/<organization_id>/invitations/<invitation_id>")
@requires(WRITE, tenant=True)
def revoke_organization_invitation(organization_id, invitation_id):
    InvitationAdmin(services()).revoke(current_actor(), organization_id, invitation_id)
    return "", 204
