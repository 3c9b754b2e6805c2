"""/admin/api/v1/user-imports: import users with their hashes as an asynchronous job (issue 32).

POST the file itself as the body (jsonl, a Keycloak realm export, or Auth0's bulk-import JSON;
`?format=`, `?on_conflict=`, `?dry_run=`, `?allow_weak_hashes=`, `?roles_api=`): 202 Accepted with
the job and its Location; GET the job for its state, counts and per-record errors.
"""

from __future__ import annotations

from flask import current_app, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from idp.admin.api.framework import WRITE, READ, bp, current_actor, query_flag, requires
from idp.admin.api.problems import problem
from idp.migration.jobs import ImportJobService, TooLarge
from idp.plumbing.context import services
from idp.store.import_jobs import JobView


def stamp(moment) -> str | None:
    return moment.replace(microsecond=0).isoformat() + "Z" if moment else None


def job_json(job: JobView) -> dict:
    return {"id": job.id, "state": job.state, "format": job.format, "options": job.options,
            "counts": job.counts, "errors": job.errors, "message": job.message,
            "created_at": stamp(job.created_at), "finished_at": stamp(job.finished_at)}


@bp.post("/user-imports")
@requires(WRITE)
def create_user_import():
    options = {"on_conflict": request.args.get("on_conflict", "skip"), "dry_run": bool(query_flag("dry_run")),
               "allow_weak_hashes": bool(query_flag("allow_weak_hashes"))}
    if request.args.get("roles_api") is not None:
        options["roles_api"] = request.args["roles_api"]
    try:
        job = ImportJobService(services()).start(current_app._get_current_object(), current_actor().label,
                                                 request.args.get("format", "jsonl"), options, request.stream)
    except (TooLarge, RequestEntityTooLarge):  # ours, or werkzeug's limit on the body (the same number)
        return problem(413, f"the file is larger than USER_IMPORT_MAX_BYTES ({services().config.user_import_max_bytes})",
                       code="too_large")
    response = current_app.json.response(job_json(job))
    response.status_code = 202
    response.headers["Location"] = url_for("admin_api.get_user_import", job_id=job.id)
    return response


@bp.get("/user-imports/<job_id>")
@requires(READ)
def get_user_import(job_id):
    return job_json(ImportJobService(services()).get(job_id))


@bp.get("/user-export")
@requires(WRITE)
def export_users():
    """Every user in the import's jsonl schema, streamed (a keyset page at a time, any replica).
    It carries password hashes and TOTP secrets, so it takes admin:write, is never cached, and is
    audited with the admin client that asked. A stream rather than a stored job result: the export
    is never kept at rest a second time (docs/migration.md)."""
    from idp.migration.export import export_lines
    from idp.observability import audit

    svc = services()
    audit.record("users.exported", actor=current_actor().label, format="jsonl")
    response = current_app.response_class(export_lines(svc.db, svc.config.key_encryption_key),
                                          mimetype="application/x-ndjson")
    response.headers["Content-Disposition"] = 'attachment; filename="users.jsonl"'
    return response
