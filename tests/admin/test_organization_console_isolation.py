"""Delegated console administration (issue 33): a member holding org:admin in organization A, who is
no deployment administrator, enters the console (the same OpenID Connect sign-in with a second
factor) and opens A's pages only. EVERY console route (enumerated from the app's url_map, so a page
added later is covered too), by GET and by POST with a valid CSRF token, answers 404 for organization
B and for every deployment-wide page, with no data of B in any body, as the admin API's isolation
test does for an organization-limited client."""

from __future__ import annotations

import re
import time

import pyotp

from tests.admin_console_flows import enter_console, post_form
from tests.apis_helpers import uid
from tests.conftest import Browser, hidden_fields

OPEN = {"admin.login", "admin.callback", "admin.logout", "admin.organizations", "static"}


def delegated_admin(idp, org_id: str):
    """A member of the organization holding org:admin, with a second factor; no deployment administrator."""
    user = idp.create_user()
    secret = pyotp.random_base32()
    assert idp.services.mfa.enrol(user.id, secret, pyotp.TOTP(secret).at(time.time() - 30)) is not None
    idp.services.organizations.add_member(org_id, user.id)
    idp.services.organizations.set_roles(org_id, user.id, [(None, "org:admin")])
    return user, secret


def console_rules(idp) -> list[tuple[str, object]]:
    rules = []
    for rule in idp.app.url_map.iter_rules():
        if rule.rule.startswith("/admin") and not rule.rule.startswith("/admin/api/") and rule.endpoint not in OPEN:
            rules += [(method, rule) for method in sorted(rule.methods & {"GET", "POST"})]
    return rules


def test_an_org_admin_opens_their_organization_only_and_every_other_console_route_is_404(idp):
    a = idp.services.organizations.create(slug=f"deleg-a-{uid()}", name="Alpha Delegated")
    b = idp.services.organizations.create(slug=f"deleg-b-{uid()}", name="Beta Secret")
    b_user = idp.create_user(email=f"beta-{uid()}@beta.example.com")
    idp.services.organizations.add_member(b.id, b_user.id)
    b_group = f"beta-group-{uid()}"
    idp.services.apis.create_group(b_group, b.id)
    b_connection = idp.services.org_connections.create(b.id, "google", f"Beta SSO {uid()}", f"beta-cid-{uid()}",
                                                       f"beta-secret-{uid()}")
    user, secret = delegated_admin(idp, a.id)
    browser = Browser(idp)
    landing = enter_console(browser, user, secret, "/admin")
    assert landing.status_code == 200 and landing.url.endswith("/admin/organizations"), landing.url
    assert "Alpha Delegated" in landing.text and "Beta Secret" not in landing.text
    assert 'href="/admin/users"' not in landing.text  # the navigation offers their pages only
    mine = browser.go(idp.endpoint(f"/admin/organizations/{a.id}"))
    assert mine.status_code == 200 and user.email in mine.text and "Delete the organization" not in mine.text
    csrf = hidden_fields(mine.text)["csrf_token"]

    values = {"organization_id": b.id, "user_id": b_user.id, "group_id": idp.services.apis.group_named(b_group)[0],
              "connection_id": b_connection.id}
    secrets_of_b = [b.slug, b.name, b_user.email, b_group, b_connection.label, b_connection.client_id,
                    b_connection.secret()]
    rules = console_rules(idp)
    assert len(rules) > 40 and any(r.endpoint == "admin.organization_member" for _, r in rules)
    assert {"admin.organization_connection", "admin.organization_connection_delete",
            "admin.organization_branding"} <= {r.endpoint for _, r in rules}
    for method, rule in rules:
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(m.group(1), "x-" + uid()), rule.rule)
        response = browser.go(idp.endpoint(path), method, {"csrf_token": csrf, "confirmed": "yes"}
                              if method == "POST" else None)
        assert response.status_code == 404, (method, path, response.status_code, response.text[:200])
        assert not any(secret_value in response.text for secret_value in secrets_of_b), (method, path)
    # their own organization's deployment-wide acts are not theirs either
    for path in (f"/admin/organizations/{a.id}/delete", "/admin/organizations"):
        assert post_form(browser, path, mine, version="x", slug=f"new-{uid()}", name="New").status_code in (404, 405)
    assert idp.services.organizations.get(a.id) is not None
    # B's data never changed
    assert idp.services.organizations.is_member(b.id, b_user.id) and idp.services.apis.group_named(b_group)
    assert idp.services.org_connections.get(b_connection.id) is not None


def test_an_org_admin_acts_only_within_the_tenant_rules(idp):
    """Adding a member: only a user of A's verified domains (anyone else is 'no user', as the admin API's
    404); the slug is the deployment's to change; losing org:admin closes the console at once."""
    a = idp.services.organizations.create(slug=f"rules-{uid()}", name="Rules Corp")
    user, secret = delegated_admin(idp, a.id)
    browser = Browser(idp)
    enter_console(browser, user, secret, "/admin/organizations")
    page = browser.go(idp.endpoint(f"/admin/organizations/{a.id}"))
    assert 'name="slug"' not in page.text
    outsider = idp.create_user()
    refused = post_form(browser, f"/admin/organizations/{a.id}/members", page, member=outsider.email)
    assert refused.status_code == 400 and not idp.services.organizations.is_member(a.id, outsider.id)
    renamed = post_form(browser, f"/admin/organizations/{a.id}/settings", page, name="Rules Renamed",
                        version=hidden_fields(page.text)["version"], slug="hijack")
    assert renamed.status_code == 200 and idp.services.organizations.get(a.id).name == "Rules Renamed"
    assert idp.services.organizations.get(a.id).slug == a.slug
    idp.services.organizations.set_roles(a.id, user.id, [])
    closed = browser.go(idp.endpoint(f"/admin/organizations/{a.id}"))
    assert closed.status_code == 403


def test_a_member_without_org_admin_does_not_enter_the_console(idp):
    org = idp.services.organizations.create(slug=f"plain-{uid()}", name="Plain Corp")
    user, secret = delegated_admin(idp, org.id)
    idp.services.organizations.set_roles(org.id, user.id, [])
    page = enter_console(Browser(idp), user, secret, "/admin/organizations")
    assert page.status_code == 403
