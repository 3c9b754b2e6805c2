"""/admin/api/v1/keys: the signing keys with their state and dates, rotation, retirement and
revocation (issue 15); the lifecycle is KeyManager's (idp/tokens/keys.py, docs/operations.md).
Key material never leaves through here: the list shows public facts only."""

from __future__ import annotations

from flask import jsonify, request, url_for

from idp.admin.api.framework import READ, WRITE, bp, current_actor, json_body, requires, resource
from idp.admin.api.problems import problem
from idp.administration import version_of
from idp.administration.keys import KeyAdmin, TooEarly
from idp.plumbing.context import services

ROTATE_FIELDS = {"alg": (str,), "expected_current": (str,), "force": (bool,)}
IMPORT_FIELDS = {"jwk": (dict,), "pem": (str,), "alg": (str,)}


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


@bp.get("/keys/<kid>/jwk")
@requires(READ)
def get_key_jwk(kid):
    """The key's public JWK (RFC 7517), as the JWKS holds it while it is published; never a private member."""
    jwk = admin().public_jwk(kid)
    return resource(jwk, version_of(jwk))


@bp.post("/keys/import")
@requires(WRITE)
def import_key():
    """{"jwk": {...}} or {"pem": "..."} (PKCS #8 or #1), "alg" optional: a private key
    becomes its algorithm's next key (201); it signs after the next rotation. 400 for a key that
    cannot sign here (public only, weak, another curve, alg mismatch), 409 when it is stored already."""
    body = json_body(IMPORT_FIELDS)
    kid = admin().import_key(current_actor(), jwk=body.get("jwk"), pem=body.get("pem"), alg=body.get("alg"))
    response = jsonify(key_json(kid))
    response.status_code = 201
    response.headers["Location"] = url_for("admin_api.get_key_jwk", kid=kid)
    return response


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
