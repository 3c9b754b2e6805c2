"""/admin/api/v1/registration-tokens: initial access tokens for dynamic client registration
(RFC 7591 3), as `idp clients registration-token` makes them (issue 15). The value is in exactly
one answer, the 201 of its creation (Cache-Control: no-store); lists show what is stored: the
hash (the id), uses left, dates."""

from __future__ import annotations

from flask import request, url_for

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
from idp.administration.registration_tokens import DEFAULT_TTL, RegistrationTokenAdmin, token_json, token_version
from idp.plumbing.context import services

CREATE_FIELDS = {"uses": (int,), "expires_in": (int,)}


def admin() -> RegistrationTokenAdmin:
    return RegistrationTokenAdmin(services())


@bp.post("/registration-tokens")
@requires(WRITE)
def create_registration_token():
    """{"uses": 1, "expires_in": 86400}: the token (`token`) is shown this once."""
    body = json_body(CREATE_FIELDS) if request.get_data() else {}
    token, value = admin().create(current_actor(), body.get("uses", 1), body.get("expires_in", DEFAULT_TTL))
    return resource({**token_json(token), "token": value}, token_version(token), 201,
                    url_for("admin_api.get_registration_token", token_id=token.id))


@bp.get("/registration-tokens")
@requires(READ)
def list_registration_tokens():
    return page_response(admin().list(**page_args()), token_json)


@bp.get("/registration-tokens/<token_id>")
@requires(READ)
def get_registration_token(token_id):
    token = admin().get(token_id)
    return resource(token_json(token), token_version(token))


@bp.delete("/registration-tokens/<token_id>")
@requires(WRITE)
def delete_registration_token(token_id):
    admin().delete(current_actor(), token_id, if_match())
    return "", 204
