"""/admin/api/v1/users: list, read, create, change (disable, enable), delete (issue 15)."""

from __future__ import annotations

from flask import request, url_for

from idp.admin.api.framework import (
    READ,
    WRITE,
    bp,
    current_actor,
    if_match,
    json_body,
    query_flag,
    requires,
    resource,
    searched_page,
)
from idp.administration.users import UserAdmin, user_version
from idp.plumbing.context import services
from idp.store.users import UserRecord

# app_metadata / user_metadata: any JSON here, so that the domain names what is wrong (not an object,
# too large, too deep: idp/accounts/user_metadata.py)
METADATA_FIELDS = {"app_metadata": (str, bool, int, float, dict, list, None),
                   "user_metadata": (str, bool, int, float, dict, list, None)}
CREATE_FIELDS = {"email": (str,), "name": (str, None), "password": (str,), "email_verified": (bool,),
                 "send_email": (str, None), **METADATA_FIELDS}
UPDATE_FIELDS = {"email": (str,), "name": (str, None), "email_verified": (bool,), "disabled": (bool,),
                 **METADATA_FIELDS}


def timestamp(moment) -> str:
    return moment.replace(microsecond=0).isoformat() + "Z"


def user_json(user: UserRecord) -> dict:
    return {"id": user.id, "email": user.email, "email_verified": user.email_verified, "name": user.name,
            "disabled": user.disabled, "has_password": user.has_password,
            "password_scheme": user.password_scheme,
            "app_metadata": user.app_metadata or {}, "user_metadata": user.user_metadata or {},
            "created_at": timestamp(user.created_at), "updated_at": timestamp(user.updated_at)}


def user_resource(user: UserRecord, status: int = 200):
    location = url_for("admin_api.get_user", user_id=user.id) if status == 201 else None
    return resource(user_json(user), user_version(user), status, location)


def admin() -> UserAdmin:
    return UserAdmin(services())


@bp.get("/users")
@requires(READ)
def list_users():
    """?q= (text the email or name holds), ?search= (email or name prefix), ?disabled=true|false,
    ?limit=, ?cursor=; by email."""
    return searched_page(admin().list, "users", user_json, search=request.args.get("search"),
                         disabled=query_flag("disabled"))


@bp.get("/users/<user_id>")
@requires(READ)
def get_user(user_id):
    return user_resource(admin().get(user_id))


@bp.post("/users")
@requires(WRITE)
def create_user():
    body = json_body(CREATE_FIELDS, required=("email",))
    user = admin().create(current_actor(), email=body["email"], name=body.get("name"),
                          password=body.get("password"), email_verified=body.get("email_verified", False),
                          send_email=body.get("send_email"),
                          metadata={k: body[k] for k in METADATA_FIELDS if k in body})
    return user_resource(user, 201)


@bp.patch("/users/<user_id>")
@requires(WRITE)
def update_user(user_id):
    """A JSON merge patch (RFC 7396) of email, name, email_verified, disabled, app_metadata and
    user_metadata (each replaced as a whole, null clears it); If-Match required."""
    version = if_match()
    body = json_body(UPDATE_FIELDS)
    return user_resource(admin().update(current_actor(), user_id, body, version))


@bp.delete("/users/<user_id>")
@requires(WRITE)
def delete_user(user_id):
    admin().delete(current_actor(), user_id, if_match())
    return "", 204
