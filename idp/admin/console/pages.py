"""What the console's pages share: the confirmation step of a destructive action, the cursor of
a keyset page in a link, the chart's bar classes and UTC dates."""

from __future__ import annotations

import base64
import binascii
import json

from flask import redirect, render_template, request

from idp.admin.console.forms import ActionForm
from idp.administration import NotFound, PreconditionFailed
from idp.plumbing import json_input

PAGE_SIZE = 20


def confirmation(form, *, title: str, question: str, action: str, button: str, cancel: str, fields: dict | None = None,
                 layout: str = "admin/layout.html"):
    """The page that asks before acting; its form posts the same fields again with confirmed=yes."""
    return render_template("confirm.html", layout=layout, form=form, title=title, question=question, action=action,
                           button=button, cancel=cancel, fields=fields or {})


def confirmed(form) -> bool:
    return form.validate_on_submit() and form.confirmed.data == "yes"


def ask_first(*, title: str, question: str, button: str, cancel: str, fields: dict | None = None, form=None):
    """None once the administrator confirmed (the caller acts now), else the page that asks, posting
    the same request again with confirmed=yes."""
    form = form or ActionForm()
    if confirmed(form):
        return None
    return confirmation(form, title=title, question=question, action=request.path, button=button, cancel=cancel,
                        fields=fields)


def ask_then(act, *, done: str, **question):
    """Ask first (ask_first's arguments), then act() and go to done. What act() acts on being gone
    or changed meanwhile (another administrator was quicker) is no error: done shows what is there now."""
    page = ask_first(**question)
    if page is not None:
        return page
    try:
        act()
    except (NotFound, PreconditionFailed):
        pass
    return redirect(done)


def cursor_link(next_key: list | None) -> str | None:
    """The service layer's next_key as an opaque URL parameter (None: there is no next page)."""
    if next_key is None:
        return None
    return base64.urlsafe_b64encode(json.dumps(next_key, separators=(",", ":")).encode()).decode().rstrip("=")


def cursor_from_request(name: str = "after") -> list | None:
    """The `after` parameter (or another one: a page with two lists) back as a next_key; anything else is
    the first page (the service checks its shape)."""
    text = request.args.get(name, "")
    if not text or len(text) > 1024:
        return None
    try:
        value = json_input.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, list) else None


def bar_class(value: int, peak: int) -> str:
    """h0..h20: the bar's height in steps of 5% of the busiest hour (CSS classes: no inline style)."""
    return f"h{round(20 * value / peak) if peak else 0}"


def utc(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"
