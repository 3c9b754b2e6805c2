"""An organization's enterprise connections and branding in the admin console (issue 33), through the
services the admin API calls (ConnectionAdmin, OrganizationAdmin.update): the client secret is
write-only (a password input, stored encrypted, never in any console page, not even a refused
form's); every wrong field is marked at once with the service's reason and the input kept; the
discovery URL is an https URL (OpenID Connect Discovery 1.0 section 4: the issuer's
/.well-known/openid-configuration; loopback only over http) and a colour #rrggbb; a connection is
deleted after a confirmation; the branding is the one the sign-in page shows (organization=)."""

from __future__ import annotations

import html
import re

import requests

from idp.administration import Actor
from idp.organizations.connections import ConnectionAdmin
from tests.admin.test_organization_console import confirm, field_error, org_page
from tests.admin.test_organization_console_isolation import delegated_admin
from tests.admin_console_flows import console, enter_console, post_form  # noqa: F401
from tests.apis_helpers import uid
from tests.conftest import Browser, hidden_fields
from tests.security.client_pages import authorization_url

SECRET = "s3cr3t-" + "x" * 24
ROTATED = "r0tated-" + "y" * 24


def test_a_connection_is_created_edited_and_deleted_with_its_secret_write_only(idp, console):
    browser, admin = console
    org = idp.services.organizations.create(slug=f"sso-{uid()}", name="SSO Corp")
    page = org_page(browser, org.id)
    assert 'id="connections"' in page.text and 'type="password"' in page.text
    created = post_form(browser, f"/admin/organizations/{org.id}/connections", page, kind="oidc",
                        label="Corp IdP", client_id="corp-client", client_secret=SECRET,
                        discovery_url="https://idp.corp.example/.well-known/openid-configuration")
    assert created.status_code == 200 and "The connection was created." in created.text, created.text[:500]
    [connection] = ConnectionAdmin(idp.services).list(Actor.user(admin.id), org.id).items
    assert connection.secret() == SECRET and connection.client_id == "corp-client"
    assert SECRET not in created.text and "secret set" in created.text
    callback = f"{idp.services.config.issuer}/federation/connections/{connection.id}/callback"
    assert callback in created.text and "idp.corp.example" in created.text

    path = f"/admin/organizations/{org.id}/connections/{connection.id}"
    edit = browser.go(idp.endpoint(path))
    assert edit.status_code == 200 and SECRET not in edit.text and callback in edit.text
    kept = post_form(browser, path, edit, label="Corp SSO", client_id="corp-client-2", client_secret="",
                     discovery_url="", version=hidden_fields(edit.text)["version"])
    assert kept.status_code == 200 and "The connection was saved." in kept.text and "Corp SSO" in kept.text
    stored = idp.services.org_connections.get(connection.id)
    assert stored.secret() == SECRET and stored.client_id == "corp-client-2"  # an empty secret keeps it
    rotated = post_form(browser, path, kept, label="Corp SSO", client_id="corp-client-2", client_secret=ROTATED,
                        discovery_url="", version=hidden_fields(kept.text)["version"])
    assert rotated.status_code == 200 and ROTATED not in rotated.text
    assert idp.services.org_connections.get(connection.id).secret() == ROTATED
    stale = post_form(browser, path, rotated, label="Late", client_id="late", client_secret=ROTATED + "z",
                      discovery_url="", version=hidden_fields(edit.text)["version"])
    assert stale.status_code == 409 and ROTATED not in stale.text
    assert idp.services.org_connections.get(connection.id).label == "Corp SSO"
    for action in ("organization.connection_created", "organization.connection_updated"):
        assert any(e.details.get("connection_id") == connection.id
                   for e in idp.services.audit_events.list(action=action, limit=50)), action

    gone = confirm(browser, f"{path}/delete", rotated)
    assert gone.status_code == 200 and "The connection was deleted." in gone.text
    assert idp.services.org_connections.get(connection.id) is None
    assert browser.go(idp.endpoint(path)).status_code == 404
    for shown in (page, created, edit, kept, rotated, stale, gone):
        assert SECRET not in shown.text and ROTATED not in shown.text


def test_every_wrong_connection_field_is_marked_at_once_and_the_input_kept_but_never_the_secret(idp, console):
    browser, _ = console
    org = idp.services.organizations.create(slug=f"ssob-{uid()}", name="Bad SSO")
    page = org_page(browser, org.id)
    for url in ("http://idp.corp.example/.well-known/openid-configuration", "javascript:alert(1)"):
        bad = post_form(browser, f"/admin/organizations/{org.id}/connections", page, kind="oidc", label="Typed",
                        client_id="", client_secret=SECRET, discovery_url=url)
        assert bad.status_code == 400, bad.text[:300]
        assert "https URL" in field_error(bad, "discovery_url") and field_error(bad, "client_id")
        assert f'value="{html.escape(url)}"' in bad.text and 'value="Typed"' in bad.text
        assert SECRET not in bad.text and 'id="form-error"' in bad.text
    github = post_form(browser, f"/admin/organizations/{org.id}/connections", page, kind="github", label="",
                       client_id="gh", client_secret="", discovery_url="https://x.example/")
    assert github.status_code == 400 and "only for kind oidc" in field_error(github, "discovery_url")
    assert field_error(github, "client_secret")
    assert idp.services.org_connections.page(org.id) == []


def test_branding_is_saved_through_the_service_and_shown_on_the_sign_in_page(idp, console):
    browser, _ = console
    org = idp.services.organizations.create(slug=f"brandc-{uid()}", name="Brand Console")
    page = org_page(browser, org.id)
    bad = post_form(browser, f"/admin/organizations/{org.id}/branding", page, display_name="Shown Name",
                    logo_url="javascript:alert(1)", primary_color="red;}", background_color="#12345g",
                    version=hidden_fields(page.text)["version"])
    assert bad.status_code == 400
    assert "https URL" in field_error(bad, "logo_url") and "#rrggbb" in field_error(bad, "primary_color")
    assert "#rrggbb" in field_error(bad, "background_color") and 'value="Shown Name"' in bad.text
    assert idp.services.organizations.get(org.id).primary_color is None
    saved = post_form(browser, f"/admin/organizations/{org.id}/branding", page, display_name="Brand Shown",
                      logo_url="https://cdn.example.com/logo.png", primary_color="#AA3300", background_color="",
                      version=hidden_fields(page.text)["version"])
    assert saved.status_code == 200 and "The branding was saved." in saved.text
    stored = idp.services.organizations.get(org.id)
    assert (stored.display_name, stored.logo_url, stored.primary_color) == \
        ("Brand Shown", "https://cdn.example.com/logo.png", "#aa3300")
    assert stored.background_color is None
    assert any(e.details.get("organization_id") == org.id
               for e in idp.services.audit_events.list(action="organization.updated", limit=50))
    client, _ = idp.create_client(name="Branded RP")
    idp.services.organizations.set_client_settings(client.client_id, usage="allow")
    login = requests.get(authorization_url(idp, client.client_id) + f"&organization={org.slug}", timeout=10)
    assert login.status_code == 200 and "Brand Shown" in login.text
    assert "https://cdn.example.com/logo.png" in login.text


def test_a_delegated_admin_manages_their_own_organizations_connections_and_branding_only(idp):
    a = idp.services.organizations.create(slug=f"ssoa-{uid()}", name="Alpha SSO")
    b = idp.services.organizations.create(slug=f"ssob-{uid()}", name="Beta SSO")
    b_connection = idp.services.org_connections.create(b.id, "google", "Beta Google", "beta-client", SECRET)
    user, secret = delegated_admin(idp, a.id)
    browser = Browser(idp)
    enter_console(browser, user, secret, "/admin/organizations")
    mine = org_page(browser, a.id)
    created = post_form(browser, f"/admin/organizations/{a.id}/connections", mine, kind="github", label="",
                        client_id="alpha-gh", client_secret=SECRET, discovery_url="")
    assert created.status_code == 200 and "GitHub" in created.text
    branded = post_form(browser, f"/admin/organizations/{a.id}/branding", mine, display_name="Alpha Brand",
                        logo_url="", primary_color="#123456", background_color="",
                        version=hidden_fields(mine.text)["version"])
    assert branded.status_code == 200 and idp.services.organizations.get(a.id).primary_color == "#123456"
    for path in (f"/admin/organizations/{b.id}/connections/{b_connection.id}",
                 f"/admin/organizations/{a.id}/connections/{b_connection.id}"):
        assert browser.go(idp.endpoint(path)).status_code == 404
        assert post_form(browser, f"{path}/delete", mine, confirmed="yes").status_code == 404
    assert post_form(browser, f"/admin/organizations/{b.id}/branding", mine, primary_color="#000000",
                     version="x").status_code == 404
    assert idp.services.org_connections.get(b_connection.id) is not None
    assert idp.services.organizations.get(b.id).primary_color is None
    assert not re.search("Beta Google|beta-client", created.text)


def test_the_branding_and_connection_forms_without_their_csrf_token_change_nothing(idp, console):
    browser, _ = console
    org = idp.services.organizations.create(slug=f"ssocsrf-{uid()}", name="CSRF SSO")
    connection = idp.services.org_connections.create(org.id, "github", "GH", "gh-client", SECRET)
    page = org_page(browser, org.id)
    version = hidden_fields(page.text)["version"]
    base = f"/admin/organizations/{org.id}"
    for path, fields in ((f"{base}/branding", {"primary_color": "#000000", "version": version}),
                         (f"{base}/connections", {"kind": "github", "client_id": "x", "client_secret": "y"}),
                         (f"{base}/connections/{connection.id}", {"label": "Changed", "client_id": "changed"}),
                         (f"{base}/connections/{connection.id}/delete", {"confirmed": "yes"})):
        assert browser.go(idp.endpoint(path), "POST", fields).status_code == 400, path
    assert idp.services.organizations.get(org.id).primary_color is None
    assert [c.label for c in idp.services.org_connections.page(org.id)] == ["GH"]
