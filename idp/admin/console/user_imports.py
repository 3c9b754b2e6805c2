"""Importing users from the console (issue 32): the upload form, then the job's page (state,
counts, the per-record errors), through the same ImportJobService as POST /admin/api/v1/user-imports."""

from __future__ import annotations

from flask import abort, current_app, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import BooleanField, StringField
from wtforms.validators import Length

import idp.admin.console.backend as backend
from idp.admin.console.blueprint import bp
from idp.admin.console.pages import utc
from idp.administration import Invalid
from idp.i18n import gettext as _
from idp.migration.jobs import TooLarge
from idp.migration.readers import FORMATS
from idp.migration.writer import ON_CONFLICT

FORMAT_LABELS = {"jsonl": "This IdP's jsonl", "keycloak": "Keycloak realm export", "auth0": "Auth0 bulk import"}
CONFLICT_LABELS = {"skip": "Leave the existing user", "update": "Replace the existing user",
                   "fail": "Report it as an error"}


class UserImportForm(FlaskForm):
    format = StringField("Format", validators=[Length(max=16)])
    on_conflict = StringField("When the user exists", validators=[Length(max=16)])
    dry_run = BooleanField("Check only (write nothing)")
    allow_weak_hashes = BooleanField("Accept salted MD5/SHA digests")


def import_page(form, error: str | None = None, status: int = 200):
    return render_template("admin/user_import.html", form=form, error=error, formats=FORMAT_LABELS,
                           conflicts=CONFLICT_LABELS), status


@bp.route("/users/import", methods=["GET", "POST"])
def user_import():
    form = UserImportForm()
    if request.method == "GET":
        return import_page(form)
    upload = request.files.get("file")
    if not form.validate_on_submit() or form.format.data not in FORMATS or form.on_conflict.data not in ON_CONFLICT:
        return import_page(form, _("Choose a format and what to do with existing users."), 400)
    if upload is None or not upload.filename:
        return import_page(form, _("Choose the file to import."), 400)
    options = {"on_conflict": form.on_conflict.data, "dry_run": form.dry_run.data,
               "allow_weak_hashes": form.allow_weak_hashes.data}
    try:
        job = backend.start_user_import(current_app._get_current_object(), g.admin, form.format.data, options,
                                        upload.stream)
    except (TooLarge, RequestEntityTooLarge):
        return import_page(form, _("The file is larger than this server accepts (USER_IMPORT_MAX_BYTES)."), 413)
    except Invalid:
        return import_page(form, _("The file is empty."), 400)
    return redirect(url_for("admin.user_import_job", job_id=job.id))


@bp.get("/user-imports/<job_id>")
def user_import_job(job_id: str):
    job = backend.user_import(job_id) if len(job_id) <= 36 else None
    if job is None:
        abort(404, _("There is no such import."))
    response = current_app.make_response(render_template("admin/user_import_job.html", job=job, utc=utc,
                                                          formats=FORMAT_LABELS))
    if job.state in ("queued", "running"):
        response.headers["Refresh"] = "2"  # progress without script (the CSP allows none)
    return response
