"""Signing keys: each algorithm's keys in their states (next -> current -> retired, or revoked)
on a timeline, rotation, retiring or revoking one key, and importing a private key as an
algorithm's next key (KeyAdmin, as the admin API's /keys and `idp keys`). A rotation that would
promote a next key relying parties may not have seen yet (younger than the JWKS cache lifetime)
is refused unless the administrator forces it on a second confirmation. Retiring and revoking
ask first; importing does not (it replaces only the generated next key, which never signed, and a
confirmation page would have to carry the private key back to the browser). Each key's public JWK
is shown on a page of its own, and offered as a download."""

from __future__ import annotations

import datetime as dt
import json
import re

from flask import abort, g, jsonify, redirect, render_template, request, url_for

import idp.admin.console.backend as backend
from idp.admin.console.blueprint import bp
from idp.admin.console.forms import ActionForm, KeyImportForm, KeyRotateForm
from idp.admin.console.pages import ask_first, confirmation, confirmed, utc
from idp.administration import Duplicate, Invalid, NotFound, PreconditionFailed
from idp.i18n import gettext as _
from idp.plumbing import json_input

STATE_ORDER = {"next": 0, "current": 1, "retired": 2, "revoked": 3}

ROTATE_QUESTION = (
    "The next key starts signing now; the current one stays published until the tokens it signed have "
    "expired."
)
ROTATE_TOO_EARLY_QUESTION = (
    "The next key was published only moments ago: relying parties that cached the key set may reject "
    "tokens it signs until they fetch it again. Rotate anyway?"
)

RETIRE_KEY_QUESTION = (
    "%(kid)s stops signing now (a current key's next key takes over at once); it stays published until the "
    "tokens it signed have expired."
)
REVOKE_KEY_QUESTION = (
    "%(kid)s leaves the published key set at once: every token it signed stops verifying, and it can never be "
    "imported again. Do this when the key is compromised."
)
NOT_IMPORTED = "The key was not imported: %(reasons)s"
DONE = {"retired": "The key %(kid)s was retired.", "revoked": "The key %(kid)s was revoked.",
        "imported": "The key %(kid)s was imported: it is the next key of its algorithm and signs after the next "
                    "rotation."}


def done_message(rows) -> str | None:
    """The message of the action just done, from the query; only for a kid that exists."""
    if request.args.get("rotated") in backend.signing_algs():
        return _("The %(alg)s signing key was rotated.", alg=request.args["rotated"])
    done, kid = request.args.get("done"), request.args.get("kid")
    return _(DONE[done], kid=kid) if done in DONE and kid in {row.kid for row in rows} else None


def keys_page(import_form=None, error: str | None = None, status: int = 200):
    interval = backend.key_rotation_interval()
    timelines = {}
    stored = backend.signing_keys()
    for row in stored:
        started = row.promoted_at or row.created_at
        due = started + dt.timedelta(seconds=interval) if row.state == "current" and interval > 0 else None
        timelines.setdefault(row.alg, []).append(dict(
            kid=row.kid, state=row.state, created=utc(row.created_at), promoted=utc(row.promoted_at),
            retired=utc(row.retired_at), retire_until=utc(row.retire_until), due=utc(due) if due else None))
    for rows in timelines.values():
        rows.sort(key=lambda key: (STATE_ORDER.get(key["state"], 9), key["created"]))
    return render_template("admin/keys.html", timelines=timelines, form=KeyRotateForm(), action_form=ActionForm(),
                           import_form=import_form or KeyImportForm(), algs=backend.signing_algs(), error=error,
                           message=done_message(stored)), status


@bp.get("/keys")
def keys():
    return keys_page()


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


def live_key(kid: str):
    """The stored key named kid that is not revoked yet (404 otherwise)."""
    found = next((row for row in backend.signing_keys() if row.kid == kid and row.state != "revoked"), None)
    if found is None:
        abort(404, _("There is no such live key."))
    return found


def end_key(kid: str, action: str, **question):
    """Retire or revoke after a confirmation; gone meanwhile (another administrator): the keys as they are."""
    target = live_key(kid)
    asked = ask_first(cancel=url_for("admin.keys"), **question)
    if asked is not None:
        return asked
    try:
        getattr(backend, f"{action}_key")(g.admin, target.kid)
    except NotFound:
        return redirect(url_for("admin.keys"))
    return redirect(url_for("admin.keys", done=action + "d", kid=target.kid))


@bp.post("/keys/<kid>/retire")
def key_retire(kid: str):
    return end_key(kid, "retire", title=_("Retire the key %(kid)s?", kid=kid[:64]), button=_("Retire"),
                   question=_(RETIRE_KEY_QUESTION, kid=kid[:64]))


@bp.post("/keys/<kid>/revoke")
def key_revoke(kid: str):
    return end_key(kid, "revoke", title=_("Revoke the key %(kid)s?", kid=kid[:64]), button=_("Revoke"),
                   question=_(REVOKE_KEY_QUESTION, kid=kid[:64]))


def key_material(text: str) -> dict:
    """A JWK when the text is a JSON object, else a PEM (the service checks either)."""
    text = text.strip()
    if text.startswith("{"):
        try:
            jwk = json_input.loads(text)
        except ValueError:
            raise Invalid({"jwk": "not JSON"}) from None
        return {"jwk": jwk if isinstance(jwk, dict) else None, "pem": None}
    return {"jwk": None, "pem": text}


@bp.post("/keys/import")
def key_import():
    form = KeyImportForm()
    if not form.validate_on_submit():
        return keys_page(KeyImportForm(formdata=None), _("Paste a private key, PEM or JWK."), 400)
    alg = form.alg.data or None
    if alg is not None and alg not in backend.signing_algs():
        return keys_page(KeyImportForm(formdata=None), _("Choose one of the algorithms offered."), 400)
    try:
        kid = backend.import_key(g.admin, alg=alg, **key_material(form.key.data))
    except Invalid as exc:
        reasons = "; ".join(f"{field}: {why}" for field, why in exc.errors.items())
        return keys_page(KeyImportForm(formdata=None), _(NOT_IMPORTED, reasons=reasons), 400)
    except Duplicate as exc:
        return keys_page(KeyImportForm(formdata=None), _(NOT_IMPORTED, reasons=str(exc)), 409)
    return redirect(url_for("admin.keys", done="imported", kid=kid))


def stored_jwk(kid: str) -> dict:
    found = backend.public_jwk(kid)  # None for an id no key has (too long, holding NUL …)
    if found is None:
        abort(404, _("There is no such key."))
    return found


@bp.get("/keys/<kid>/jwk")
def key_jwk(kid: str):
    """The public JWK (RFC 7517) as the JWKS holds it, in any state; never a private member."""
    jwk = stored_jwk(kid)
    return render_template("admin/key_jwk.html", kid=kid, jwk=json.dumps(jwk, indent=2, sort_keys=True))


@bp.get("/keys/<kid>/jwk.json")
def key_jwk_download(kid: str):
    jwk = stored_jwk(kid)
    response = jsonify(jwk)
    response.mimetype = "application/jwk+json"  # RFC 7517 8.5.1
    filename = re.sub(r"[^A-Za-z0-9_-]", "_", kid) + ".jwk.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
