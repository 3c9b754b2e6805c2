"""The console's side of custom claims (issue 35): a user's metadata edited as JSON under the version
read (a change made meanwhile is refused, not undone), an API's and a client's claim mappings edited
one a line, and a reserved claim refused as a form error (RFC 9068 2.2 / OpenID Connect Core 2
claims cannot be overwritten)."""

from __future__ import annotations

import html
import json

from ..admin_console_flows import console, post_form  # noqa: F401  (fixture)
from ..apis_helpers import uid
from ..conftest import hidden_fields


def test_user_metadata_is_edited_as_json_under_the_version_read(idp, console):  # noqa: F811
    browser, _ = console
    user = idp.create_user()
    page = browser.go(idp.endpoint(f"/admin/users/{user.id}"))
    assert page.status_code == 200 and 'name="app_metadata"' in page.text
    version = hidden_fields(page.text)["version"]
    saved = post_form(browser, f"/admin/users/{user.id}/metadata", page, version=version,
                      app_metadata='{"plan": "gold"}', user_metadata="")
    assert saved.status_code == 200 and "The metadata was saved" in saved.text, saved.text[:500]
    assert idp.services.users.record(user.id).app_metadata == {"plan": "gold"}
    assert json.loads(html.unescape(saved.text.split('name="app_metadata">')[1].split("</textarea>")[0])) == {
        "plan": "gold"}
    stale = post_form(browser, f"/admin/users/{user.id}/metadata", page, version=version,
                      app_metadata='{"plan": "free"}', user_metadata="")
    assert stale.status_code == 409
    for bad in ("[1, 2]", "{not json", json.dumps({"a": "x" * 20_000})):
        fresh = browser.go(idp.endpoint(f"/admin/users/{user.id}"))
        refused = post_form(browser, f"/admin/users/{user.id}/metadata", fresh,
                            version=hidden_fields(fresh.text)["version"], app_metadata=bad, user_metadata="{}")
        assert refused.status_code == 400, refused.text[:300]
    assert idp.services.users.record(user.id).app_metadata == {"plan": "gold"}


def test_api_and_client_claim_mappings_one_a_line_and_a_reserved_claim_refused(idp, console):  # noqa: F811
    browser, _ = console
    ident = f"https://console-claims-{uid()}.example.com/"
    api = idp.services.apis.create_api(ident, "Console claims", {"billing": "Billing"})
    page = browser.go(idp.endpoint(f"/admin/apis/{api.id}"))
    fields = {**hidden_fields(page.text), "identifier": ident, "name": "Console claims", "scopes": "billing Billing",
              "claim_mappings": "plan=app_metadata.plan\ncontact=user.email@billing"}
    saved = browser.go(idp.endpoint(f"/admin/apis/{api.id}"), "POST", fields)
    assert saved.status_code == 200 and "The API was saved." in saved.text, saved.text[:400]
    assert idp.services.apis.api(ident).claim_mappings == (
        {"claim": "plan", "from": "app_metadata.plan"}, {"claim": "contact", "from": "user.email", "scope": "billing"})
    assert "contact=user.email@billing" in saved.text
    page = browser.go(idp.endpoint(f"/admin/apis/{api.id}"))
    for bad in ("sub=app_metadata.plan", "just words"):
        refused = browser.go(idp.endpoint(f"/admin/apis/{api.id}"), "POST",
                             {**hidden_fields(page.text), "identifier": ident, "name": "Console claims",
                              "scopes": "billing Billing", "claim_mappings": bad})
        assert refused.status_code == 400 and "claim_mappings" in refused.text
    assert len(idp.services.apis.api(ident).claim_mappings) == 2

    client, _ = idp.create_client(scope="openid")
    path = f"/admin/clients/{client.client_id}"

    def edit(mappings: str):
        """The client form as its page shows it (every field is sent: an edit is a merge patch of them
        all, under the version the page showed), with these claim mappings."""
        page = browser.go(idp.endpoint(path))
        return post_form(browser, path, page, version=hidden_fields(page.text)["version"], name="Test RP",
                         redirect_uris="\n".join(client.redirect_uris), scope="openid", claim_mappings=mappings)

    refused = edit("email=app_metadata.email")
    assert refused.status_code == 400 and "reserved" in html.unescape(refused.text)
    saved = edit("tier=user_metadata.tier")
    assert saved.status_code == 200
    assert idp.services.clients.get(client.client_id, fresh=True).claim_mappings == (
        {"claim": "tier", "from": "user_metadata.tier"},)
    shown = browser.go(idp.endpoint(path))
    assert "tier=user_metadata.tier</textarea>" in shown.text  # the page shows them as it takes them
    untouched = edit("tier=user_metadata.tier")  # sent back as shown: kept
    assert untouched.status_code == 200
    assert len(idp.services.clients.get(client.client_id, fresh=True).claim_mappings) == 1
