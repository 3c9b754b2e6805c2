"""What the API and group pages share (issue 21): the administration services they call (ApiAdmin,
GroupAdmin, as the admin API and `idp apis` / `idp groups` call them, the administrator as the
actor), a refusal of theirs as a page (400 for bad input, 409 when the API changed meanwhile, never
a 500), and the lookups of what a form names (a user by email, a group by name)."""

from __future__ import annotations

import contextlib
import dataclasses

from flask import abort, redirect, render_template, request

from idp.admin.console.forms import ActionForm
from idp.admin.console.pages import ask_first

from idp.admin.console.backend import actor, user_by_email
from idp.administration import Duplicate, Invalid, NotFound, Page, PreconditionFailed
from idp.administration.apis import ApiAdmin, storable
from idp.administration.groups import GroupAdmin
from idp.i18n import gettext as _
from idp.plumbing.context import services

__all__ = ["actor", "api_admin", "group_admin", "keyset_page", "found_or_404", "Refused", "refusals",
           "refusal_page", "attempt", "confirmed_then", "submitted", "form_text", "user_named", "group_named"]

NOT_DONE = "Not done: %(reasons)s"
CHANGED_MEANWHILE = (
    "Someone changed this while you were looking at it. Nothing was saved: open the page again to see the "
    "current state, then make your change again."
)


def api_admin() -> ApiAdmin:
    return ApiAdmin(services())


def group_admin() -> GroupAdmin:
    return GroupAdmin(services())


def keyset_page(listing, after: list | None, limit: int, *args) -> Page:
    """A keyset page; a cursor that is not one of this list starts again at the first page."""
    try:
        if after is not None and not all(storable(key) for key in after if isinstance(key, str)):
            raise Invalid({"after": "not a cursor of this list"})  # a NUL the database cannot compare
        return listing(*args, after=after, limit=limit)
    except Invalid:
        return listing(*args, limit=limit)


def found_or_404(get, ident: str, message: str):
    """The API or group a path names (validated as the service does), or the 404 page."""
    try:
        if not storable(ident):
            raise NotFound("id", "")  # a NUL: no row has it, and the database refuses to compare it
        return get(ident)
    except NotFound:
        abort(404, message)


@dataclasses.dataclass
class Refused(Exception):
    """A refusal to show as a page: `reasons` (field -> why), its status."""

    reasons: dict
    status: int = 400


@contextlib.contextmanager
def refusals():
    """The services' refusals as Refused: wrong input (Invalid, a taken name, a user or group or client the
    form names that does not exist) 400, a version that moved on (PreconditionFailed) 409."""
    try:
        yield
    except Invalid as exc:
        raise Refused(exc.errors) from None
    except Duplicate as exc:
        raise Refused({exc.field: str(exc)}) from None
    except NotFound as exc:
        raise Refused({exc.kind: str(exc)}) from None
    except PreconditionFailed:
        raise Refused({}, 409) from None


def refusal_page(refused: Refused, back: str):
    if refused.status == 409:
        message = _(CHANGED_MEANWHILE)
    else:
        message = _(NOT_DONE, reasons="; ".join(f"{field}: {why}" for field, why in refused.reasons.items()))
    return render_template("admin/refusal.html", message=message, back=back,
                           conflict=refused.status == 409), refused.status


def attempt(work, back: str, done: str):
    """work() through the services, then on to `done`; a refusal is a page naming why, with the way `back`."""
    try:
        with refusals():
            work()
    except Refused as refused:
        return refusal_page(refused, back)
    return redirect(done)


def confirmed_then(work, *, back: str, done: str, title: str, question: str, button: str, fields: dict):
    """A removal: the confirmation page first (ask_first), then attempt(work)."""
    page = ask_first(title=title, question=question, button=button, cancel=back, fields=fields)
    return page if page is not None else attempt(work, back, done)


def submitted() -> None:
    """A set operation's form (adding, assigning, allowing): its CSRF token checked, else 400."""
    if not ActionForm().validate_on_submit():
        abort(400)


def form_text(name: str, limit: int = 255) -> str:
    """A field that names something (a role, a client, a group, an email): 400 when it holds what no name
    can (a NUL, which the database refuses even to compare)."""
    value = request.form.get(name, "").strip()[:limit]
    if not storable(value):
        abort(400, _("A field holds a character no name can hold."))
    return value


def user_named(email: str):
    """The user a form names by email; Refused (400) when there is none."""
    found = user_by_email(email.strip()) if email and len(email) <= 320 else None
    if found is None:
        raise Refused({"email": _("there is no user with this email")})
    return found


def group_named(name: str):
    """The group a form names; Refused (400) when there is none."""
    found = None
    if name and len(name) <= 255:
        with contextlib.suppress(NotFound):
            found = group_admin().by_name(name.strip())
    if found is None:
        raise Refused({"group": _("there is no group with this name")})
    return found
