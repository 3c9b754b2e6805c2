"""Signing keys: each algorithm's keys in their states (next -> current -> retired, or revoked)
on a timeline, and rotation. A rotation that would promote a next key relying parties may not
have seen yet (younger than the JWKS cache lifetime) is refused unless the administrator forces
it on a second confirmation."""

from __future__ import annotations

import datetime as dt

from flask import g, redirect, render_template, request, url_for

import idp.admin.console.backend as backend
from idp.admin.console.blueprint import bp
from idp.admin.console.forms import KeyRotateForm
from idp.admin.console.pages import confirmation, confirmed, utc
from idp.i18n import gettext as _
from idp.administration import PreconditionFailed

STATE_ORDER = {"next": 0, "current": 1, "retired": 2, "revoked": 3}

ROTATE_QUESTION = (
    "The next key starts signing now; the current one stays published until the tokens it signed have "
    "expired."
)
ROTATE_TOO_EARLY_QUESTION = (
    "The next key was published only moments ago: relying parties that cached the key set may reject "
    "tokens it signs until they fetch it again. Rotate anyway?"
)


@bp.get("/keys")
def keys():
    interval = backend.key_rotation_interval()
    timelines = {}
    for row in backend.signing_keys():
        started = row.promoted_at or row.created_at
        due = started + dt.timedelta(seconds=interval) if row.state == "current" and interval > 0 else None
        timelines.setdefault(row.alg, []).append(dict(
            kid=row.kid, state=row.state, created=utc(row.created_at), promoted=utc(row.promoted_at),
            retired=utc(row.retired_at), retire_until=utc(row.retire_until), due=utc(due) if due else None))
    for rows in timelines.values():
        rows.sort(key=lambda key: (STATE_ORDER.get(key["state"], 9), key["created"]))
    return render_template("admin/keys.html", timelines=timelines, form=KeyRotateForm(),
                           message=_("The %(alg)s signing key was rotated.", alg=request.args["rotated"])
                           if request.args.get("rotated") in backend.signing_algs() else None)


@bp.post("/keys/rotate")
def key_rotate():
    form = KeyRotateForm()
    alg = form.alg.data if form.alg.data in backend.signing_algs() else None
    if alg is None:
        return redirect(url_for("admin.keys"))
    force = form.force.data == "yes"
    ask = dict(title=_("Rotate the %(alg)s signing key?", alg=alg), action=request.path,
               cancel=url_for("admin.keys"), fields={"alg": alg, "force": "yes" if force else ""})
    if not confirmed(form):
        return confirmation(form, question=_(ROTATE_QUESTION),
                            button=_("Rotate"), **ask)
    try:
        backend.rotate_key(g.admin, alg, force)
    except PreconditionFailed:
        return redirect(url_for("admin.keys"))  # another administrator rotated it a moment ago: show the keys now
    except backend.TooEarly:
        ask["fields"]["force"] = "yes"
        return confirmation(form, question=_(ROTATE_TOO_EARLY_QUESTION),
                            button=_("Rotate anyway"), **ask)
    return redirect(url_for("admin.keys", rotated=alg))
