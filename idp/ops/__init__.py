"""Operations surface: liveness, readiness and the OpenAPI description (metrics: idp/observability/metrics.py)."""

import os

from flask import Blueprint, jsonify

from idp.oauth.endpoints.cacheable import cacheable
from idp.observability.metrics import dependency_failed
from idp.ops.openapi import document
from idp.plumbing.context import services

bp = Blueprint("ops", __name__)


@bp.get("/health")
def health():
    """Liveness: the process answers; no dependency is checked (a DB blip must not restart pods)."""
    return jsonify(status="ok")


@bp.get("/ready")
def ready():
    """Readiness: PostgreSQL (or SQLite) and Redis (or the in-process store) answer; 503 names what failed.

    While DRAIN_FILE exists (a Kubernetes preStop hook creates it before SIGTERM) readiness
    fails first, so the load balancer stops sending new requests while this pod still serves.
    """
    svc = services()
    if os.path.exists(svc.config.drain_file):
        response = jsonify(status="draining", checks={})
        response.status_code = 503
        return response
    checks = {}
    for name, ping in (("database", svc.db.ping), ("redis", svc.store.ping)):
        try:
            ping()
            checks[name] = "ok"
        except Exception as exc:  # any failure of a dependency is "not ready", with its reason
            checks[name] = f"down: {type(exc).__name__}"
            dependency_failed(name)
    ok = all(v == "ok" for v in checks.values())
    response = jsonify(status="ok" if ok else "unavailable", checks=checks)
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/openapi.json")
def openapi():
    body, etag = document(services().config.issuer)
    return cacheable(body, etag, 3600, "application/json")
