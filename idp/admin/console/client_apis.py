"""On a client's page: the APIs it may ask tokens for (RFC 8707 `resource`), and allowing it on
another one chosen from a list of the registered APIs by name — never a typed identifier. The
allowance is ApiAdmin.grant, as on the API's page, the admin API and `idp apis allow`."""

from __future__ import annotations

import contextlib

from flask import abort, g, request, url_for

import idp.admin.console.backend as backend
from idp.admin.console.blueprint import bp
from idp.admin.console.registry import Refused, actor, api_admin, attempt, form_text, keyset_page, submitted
from idp.administration import NotFound
from idp.i18n import gettext as _

API_CHOICES = 200  # APIs offered at once, by identifier; `apis_after` pages on


def target_client(client_id: str):
    """The client a path names, or the 404 page; the console's own client is managed by the console itself."""
    found = backend.client(client_id)
    if found is None or found.client_id == backend.CONSOLE_CLIENT_ID:
        abort(404, _("There is no such client."))
    return found


def api_choices(client) -> dict:
    """The page's part: the APIs allowed (each with its page's id), the APIs to choose from, the next page's key."""
    after = request.args.get("apis_after")
    page = keyset_page(api_admin().list, [after] if after else None, API_CHOICES)
    allowed = []
    for entry in backend.client_apis(client.client_id):
        api_id = None
        with contextlib.suppress(NotFound):
            api_id = api_admin().by_identifier(entry["identifier"]).id
        allowed.append({**entry, "id": api_id})
    return {"allowed_apis": allowed, "api_select": [(api.id, f"{api.name} ({api.identifier})") for api in page.items],
            "apis_next": page.next_key[0] if page.next_key else None}


@bp.post("/clients/<client_id>/apis")
def client_api_allow(client_id: str):
    client = target_client(client_id)
    submitted()
    api_id = form_text("api_id", 64)
    scopes = form_text("scopes", 13_000).split() or None  # none named: every scope the API defines
    default = request.form.get("default") == "y"
    back = url_for("admin.client_edit", client_id=client.client_id)

    def work():
        if not api_id:
            raise Refused({"api_id": _("choose an API")})
        api_admin().grant(actor(g.admin), api_id, client.client_id, scopes, default)
    return attempt(work, back, back + "#apis")
