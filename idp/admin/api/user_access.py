"""/admin/api/v1/users/{id}/…: sessions, second factors, passkeys, upstream identities, grants,
password reset (issue 15). Every item's `id` names it under its list's URL."""

from __future__ import annotations

import datetime as dt

from flask import jsonify

from idp.admin.api.framework import READ, WRITE, bp, current_actor, if_match, page_args, page_response, requires, \
    resource
from idp.admin.api.users import timestamp
from idp.administration.user_access import UserAccess, factors_version, grant_version, session_version
from idp.plumbing.context import services


def access() -> UserAccess:
    return UserAccess(services())


def session_json(session) -> dict:
    created = dt.datetime.fromtimestamp(session.created, dt.timezone.utc).replace(tzinfo=None)
    return {"id": session.handle, "created_at": timestamp(created), "user_agent": session.user_agent,
            "ip": session.ip}


def identity_json(identity) -> dict:
    return {"id": f"{identity.provider}:{identity.subject}", "provider": identity.provider,
            "subject": identity.subject, "email": identity.email, "created_at": timestamp(identity.created_at)}


def grant_json(grant) -> dict:
    return {"id": grant.client_id, "client_id": grant.client_id, "client_name": grant.client_name,
            "scopes": list(grant.scopes), "refresh_token_families": len(grant.families),
            "consented_at": timestamp(grant.consent_updated_at) if grant.consent_updated_at else None}


@bp.get("/users/<user_id>/sessions")
@requires(READ)
def list_user_sessions(user_id):
    return page_response(access().sessions(user_id, **page_args()), session_json)


@bp.delete("/users/<user_id>/sessions")
@requires(WRITE)
def end_all_user_sessions(user_id):
    """Signs the user out of every browser; the answer says how many sessions were ended."""
    return jsonify(sessions_ended=access().end_all_sessions(current_actor(), user_id))


@bp.get("/users/<user_id>/sessions/<session_id>")
@requires(READ)
def get_user_session(user_id, session_id):
    session = access().session(user_id, session_id)
    return resource(session_json(session), session_version(session))


@bp.delete("/users/<user_id>/sessions/<session_id>")
@requires(WRITE)
def end_user_session(user_id, session_id):
    """Signs the browser out (its relying parties told by back-channel logout)."""
    access().end_session(current_actor(), user_id, session_id, if_match())
    return "", 204


@bp.get("/users/<user_id>/second-factors")
@requires(READ)
def get_second_factors(user_id):
    factors = access().second_factors(user_id)
    return resource(factors, factors_version(factors))


@bp.delete("/users/<user_id>/second-factors")
@requires(WRITE)
def remove_second_factors(user_id):
    access().remove_second_factors(current_actor(), user_id, if_match())
    return "", 204


@bp.delete("/users/<user_id>/passkeys")
@requires(WRITE)
def remove_user_passkeys(user_id):
    """Removes every passkey of the user, as `idp users remove-passkeys` (no If-Match: the same decision
    however many there are)."""
    access().remove_passkeys(current_actor(), user_id)
    return "", 204


@bp.get("/users/<user_id>/identities")
@requires(READ)
def list_user_identities(user_id):
    return page_response(access().identities(user_id, **page_args()), identity_json)


@bp.get("/users/<user_id>/grants")
@requires(READ)
def list_user_grants(user_id):
    return page_response(access().grants(user_id, **page_args()), grant_json)


@bp.get("/users/<user_id>/grants/<client_id>")
@requires(READ)
def get_user_grant(user_id, client_id):
    grant = access().grant(user_id, client_id)
    return resource(grant_json(grant), grant_version(grant))


@bp.delete("/users/<user_id>/grants/<client_id>")
@requires(WRITE)
def revoke_user_grant(user_id, client_id):
    """Forgets the consent and revokes the client's refresh tokens (and their access tokens)."""
    access().revoke_grant(current_actor(), user_id, client_id, if_match())
    return "", 204


@bp.post("/users/<user_id>/password-reset")
@requires(WRITE)
def send_user_password_reset(user_id):
    """Emails the user a single-use link to choose a new password (202: the mail is queued)."""
    access().send_password_reset(current_actor(), user_id)
    return "", 202
