"""/admin/api/v1/clients: list, read (with its active grants), create, change, delete, rotate the
secret (issue 15). The metadata is RFC 7591's, checked like a dynamic registration
(idp/administration/client_policy.py), plus `trusted` and an optional chosen `client_id`.

A secret is in exactly two answers: the 201 of its creation and the 200 of its rotation
(Cache-Control: no-store, as every admin answer). Every change needs If-Match."""

from __future__ import annotations

from flask import request, url_for

from idp.admin.api.framework import (
    READ,
    WRITE,
    bp,
    current_actor,
    if_match,
    json_body,
    requires,
    resource,
    searched_page,
)
from idp.administration.clients import ADMIN_FIELDS, METADATA_FIELDS, client_version, document
from idp.administration.client_policy import UNSUPPORTED
from idp.oauth.client_metadata import client_admin
from idp.plumbing.context import services
from idp.store.clients import OAuthClient

# Any JSON value per member: the domain checks each field's type and names every wrong one.
ANY_JSON = (str, bool, int, dict, list, None)
CLIENT_FIELDS = {name: ANY_JSON for name in (*METADATA_FIELDS, *ADMIN_FIELDS, *UNSUPPORTED)}
ROTATE_FIELDS = {"grace_seconds": (int,)}


def admin():
    return client_admin(services())


def client_resource(client: OAuthClient, status: int = 200, **extra):
    body = {**document(client), **extra}
    location = url_for("admin_api.get_client", client_id=client.client_id) if status == 201 else None
    return resource(body, client_version(client), status, location)


@bp.get("/clients")
@requires(READ)
def list_clients():
    """?q= (text the name or client_id holds), ?limit=, ?cursor=; oldest first."""
    return searched_page(admin().list, "clients", document)


@bp.get("/clients/<client_id>")
@requires(READ)
def get_client(client_id):
    clients = admin()
    client = clients.get(client_id)
    return client_resource(client, active_grants=clients.active_grants(client.client_id))


@bp.post("/clients")
@requires(WRITE)
def create_client():
    client, secret = admin().create(current_actor(), json_body(CLIENT_FIELDS))
    return client_resource(client, 201, client_secret=secret)


@bp.patch("/clients/<client_id>")
@requires(WRITE)
def update_client(client_id):
    """A JSON merge patch (RFC 7396) of the metadata; If-Match required."""
    version = if_match()
    return client_resource(admin().update(current_actor(), client_id, json_body(CLIENT_FIELDS), version))


@bp.delete("/clients/<client_id>")
@requires(WRITE)
def delete_client(client_id):
    admin().delete(current_actor(), client_id, if_match())
    return "", 204


@bp.post("/clients/<client_id>/secret")
@requires(WRITE)
def rotate_client_secret(client_id):
    """{"grace_seconds": N}: the current secret keeps working N seconds more (0, the default: not at
    all); the answer holds the new secret, once. If-Match required: two administrators rotating at
    once would each believe their secret is the one in use."""
    version = if_match()
    body = json_body(ROTATE_FIELDS) if request.get_data() else {}
    client, secret = admin().rotate_secret(current_actor(), client_id, body.get("grace_seconds", 0), version)
    return client_resource(client, client_secret=secret)
