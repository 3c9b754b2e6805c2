"""The account page's profile fields (issue 35): the user_metadata members the operator declares
(USER_METADATA_FIELDS), each edited as its type. Only those members are read from the form:
app_metadata, and any member nobody declared, cannot be set from here whatever a POST carries
(idp/accounts/user_metadata.py)."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for

from idp.accounts.user_metadata import InvalidMetadata, save_own_fields
from idp.i18n import gettext as _
from idp.observability import audit
from idp.plumbing.context import services
from idp.web.account import signed_in_user, to_login
from idp.web.blueprint import bp
from idp.web.forms import ProfileFieldsForm


@bp.route("/account/profile", methods=["GET", "POST"])
def account_profile():
    user = signed_in_user()
    if user is None:
        return to_login()
    config = services().config
    fields = config.user_metadata_fields
    if not fields:
        abort(404)
    form = ProfileFieldsForm()
    error = None
    values = dict(user.user_metadata or {})
    if form.validate_on_submit():
        try:
            wrong = save_own_fields(services().users, user.id, fields, request.form, config.user_metadata_max_bytes)
        except InvalidMetadata:
            wrong, error = [], _("These values are too long to keep.")
        except ValueError:
            wrong, error = [], _("Your profile changed meanwhile. Check it and save again.")
        if not wrong and error is None:
            audit.record("user.metadata_changed", user_id=user.id, actor="user", fields=[f[0] for f in fields])
            return redirect(url_for("web.account", done="profile"))
        if wrong:
            error = _("Check these fields: %(fields)s", fields=", ".join(wrong))
        values.update({name: request.form.get(name, "") for name, kind, _label in fields if kind != "boolean"})
    elif request.method == "POST":
        error = _("The form expired. Please try again.")
    return render_template("account_profile.html", form=form, fields=fields, values=values, error=error), \
        400 if error else 200
