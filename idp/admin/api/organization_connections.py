"""/admin/api/v1/organizations/{id}/connections (issue 33): an organization's enterprise connections,
which home-realm discovery sends its verified domains' users to. The rules (validation, the
write-only client secret, tenant isolation: an organization's own administrator manages its own
connections only) are ConnectionAdmin's (idp/organizations/connections.py).

Changing or deleting a connection needs If-Match, as for the organization itself.
"""

from __future__ import annotations

from flask import url_for

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
from idp.organizations.admin import OrganizationAdmin
from idp.organizations.connections import ConnectionAdmin, connection_version
from idp.plumbing.context import services

MEMBERS = {"kind": (str,), "label": (str,), "client_id": (str,), "client_secret": (str,), "discovery_url": (str,)}


def admin() -> ConnectionAdmin:
    return ConnectionAdmin(services())


@bp.get("/organizations/<organization_id>/connections")
@requires(READ, tenant=True)
def list_organization_connections(organization_id):
    """?limit=, ?cursor=; by id. Never a client secret."""
    connections = admin()
    return page_response(connections.list(current_actor(), organization_id, **page_args()), connections.document)


@bp.post("/organizations/<organization_id>/connections")
@requires(WRITE, tenant=True)
def create_organization_connection(organization_id):
    """{"kind": oidc|google|github|linkedin, "client_id", "client_secret", "discovery_url" (oidc), "label"?}."""
    connections = admin()
    org = OrganizationAdmin(services()).get(current_actor(), organization_id)  # 404 before the body is read
    connection = connections.create(current_actor(), org.id, json_body(MEMBERS, required=("kind",)))
    return resource(connections.document(connection), connection_version(connection), 201,
                    url_for("admin_api.get_organization_connection", organization_id=org.id,
                            connection_id=connection.id))


@bp.get("/organizations/<organization_id>/connections/<connection_id>")
@requires(READ, tenant=True)
def get_organization_connection(organization_id, connection_id):
    connections = admin()
    connection = connections.get(current_actor(), organization_id, connection_id)
    return resource(connections.document(connection), connection_version(connection))


@bp.patch("/organizations/<organization_id>/connections/<connection_id>")
@requires(WRITE, tenant=True)
def update_organization_connection(organization_id, connection_id):
    """A merge patch (RFC 7396) of label, client_id, client_secret, discovery_url; If-Match required."""
    connections = admin()
    connections.get(current_actor(), organization_id, connection_id)  # 404 before anything
    version = if_match()
    connection = connections.update(current_actor(), organization_id, connection_id, json_body(MEMBERS), version)
    return resource(connections.document(connection), connection_version(connection))


@bp.delete("/organizations/<organization_id>/connections/<connection_id>")
@requires(WRITE, tenant=True)
def delete_organization_connection(organization_id, connection_id):
    connections = admin()
    connections.get(current_actor(), organization_id, connection_id)  # 404 before If-Match
    connections.delete(current_actor(), organization_id, connection_id, if_match())
    return "", 204
