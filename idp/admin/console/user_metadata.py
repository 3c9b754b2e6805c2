"""A user's app_metadata and user_metadata on their console page (issue 35): edited as JSON text and
written by the same service as PATCH /admin/api/v1/users/{id} (idp/administration/users.py), under
the version the page was made with, so two administrators never silently undo each other."""

from __future__ import annotations

import json

from flask import abort, g, redirect, url_for

import idp.admin.console.backend as backend
from idp.admin.console.blueprint import bp
from idp.admin.console.forms import UserMetadataForm
from idp.admin.console.registry import Refused, refusal_page, refusals
from idp.administration.users import user_version
from idp.i18n import gettext as _
from idp.plumbing import json_input


def metadata_form(user) -> UserMetadataForm:
    """The form as the page shows it: each object as indented JSON, and the version read."""
    form = UserMetadataForm(formdata=None)
    form.app_metadata.data = json.dumps(user.app_metadata or {}, indent=2, ensure_ascii=False, sort_keys=True)
    form.user_metadata.data = json.dumps(user.user_metadata or {}, indent=2, ensure_ascii=False, sort_keys=True)
    form.version.data = user_version(user)
    return form


@bp.post("/users/<user_id>/metadata")
def user_metadata(user_id: str):
    target = backend.user(user_id) if len(user_id) <= 36 else None
    if target is None:
        abort(404, _("There is no such user."))
    form = UserMetadataForm()
    back = url_for("admin.user", user_id=target.id)
    if not form.validate_on_submit():
        return refusal_page(Refused({"metadata": _("The JSON is too long.")}), back)
    changes = {}
    for name in ("app_metadata", "user_metadata"):
        text = (getattr(form, name).data or "").strip()
        try:
            changes[name] = json_input.loads(text) if text else None
        except ValueError:
            return refusal_page(Refused({name: _("This is not JSON.")}), back)
    try:
        with refusals():
            backend.update_user_metadata(g.admin, target, changes, form.version.data or "-")
    except Refused as refused:
        return refusal_page(refused, back)
    return redirect(url_for("admin.user", user_id=target.id, done="metadata"))
