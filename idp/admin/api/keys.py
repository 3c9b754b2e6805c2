"""/admin/api/v1/keys: the signing keys with their state and dates, rotation, retirement and
revocation (issue 15); the lifecycle is KeyManager's (idp/tokens/keys.py, docs/operations.md).
Key material never leaves through here: the list shows public facts only."""

from __future__ import annotations

from flask import jsonify, request

from idp.admin.api.framework import READ, WRITE, bp, current_actor, json_body, requires
from idp.admin.api.problems import problem
from idp.administration.keys import KeyAdmin, TooEarly
from idp.plumbing.context import services

ROTATE_FIELDS = {"alg": (str,), "expected_current": (str,), "force": (bool,)}


@bp.errorhandler(TooEarly)
def _too_early(error: TooEarly):
    """The next key is younger than the JWKS cache lifetime: 409, retry later or force."""
    return problem(409, str(error), code="too_early")


def admin() -> KeyAdmin:
    return KeyAdmin(services())


def key_json(kid: str) -> dict:
    return next((key.as_dict() for key in admin().list() if key.kid == kid), {"kid": kid})


@bp.get("/keys")
@requires(READ)
def list_keys():
    """Every stored key by algorithm then age; one page (a handful of keys per algorithm)."""
    return jsonify(items=[key.as_dict() for key in admin().list()], next_cursor=None)


@bp.post("/keys/rotate")
@requires(WRITE)
def rotate_keys():
    """{"alg": "RS256", "expected_current": kid, "force": false}: promote alg's next key. With
    expected_current, 412 when another rotation came first (the same decision taken twice rotates once)."""
    body = json_body(ROTATE_FIELDS) if request.get_data() else {}
    kid = admin().rotate(current_actor(), body.get("alg", "RS256"), body.get("expected_current"),
                         body.get("force", False))
    return jsonify(key_json(kid))


@bp.post("/keys/<kid>/retire")
@requires(WRITE)
def retire_key(kid):
    admin().retire(current_actor(), kid)
    return jsonify(key_json(kid))


@bp.post("/keys/<kid>/revoke")
@requires(WRITE)
def revoke_key(kid):
    admin().revoke(current_actor(), kid)
    return jsonify(key_json(kid))
