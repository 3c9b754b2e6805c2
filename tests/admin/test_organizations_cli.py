"""`idp orgs`, run as an operator would (a subprocess) against the live IdP's data: organizations,
members and their roles, a client's organization settings; clear errors, never a traceback."""

from __future__ import annotations

import json

from tests.apis_helpers import uid
from tests.test_apis_cli import ok, refused


def test_orgs_cli_manages_organizations_members_roles_and_client_settings(idp):
    slug = f"cli-{uid()}"
    ok(idp, "orgs", "create", "--slug", slug, "--name", "CLI Corp", "--primary-color", "#00FF00")
    shown = json.loads(ok(idp, "orgs", "show", slug))
    assert shown["name"] == "CLI Corp" and shown["branding"]["primary_color"] == "#00ff00"
    assert slug in ok(idp, "orgs", "list")
    api = f"https://cli-{uid()}.example.com/"
    idp.services.apis.create_api(api, "CLI API", {"cli:read": ""})
    idp.services.apis.create_role(api, "reader", ["cli:read"])
    user = idp.create_user()
    ok(idp, "orgs", "members", "add", slug, user.email)
    assert "org:admin" in ok(idp, "orgs", "roles", "set", slug, user.email, "org:admin", f"{api}#reader")
    listed = [json.loads(line) for line in ok(idp, "orgs", "members", "list", slug, "--json").splitlines()]
    assert listed == [{"user_id": user.id, "email": user.email,
                       "roles": [{"api": None, "name": "org:admin"}, {"api": api, "name": "reader"}]}]
    assert "no role nope" in refused(idp, "orgs", "roles", "set", slug, user.email, f"{api}#nope")
    assert "API_IDENTIFIER#ROLE" in refused(idp, "orgs", "roles", "set", slug, user.email, "owner")
    assert "no organization" in refused(idp, "orgs", "members", "add", "nowhere", user.email)
    assert "no user" in refused(idp, "orgs", "members", "add", slug, "nobody@example.com")
    assert "already exists" in refused(idp, "orgs", "create", "--slug", slug, "--name", "Again")
    assert "slug" in refused(idp, "orgs", "create", "--slug", "Bad Slug", "--name", "x")
    client, _ = idp.create_client()
    settings = json.loads(ok(idp, "orgs", "client", client.client_id, "--usage", "require", "--allow", slug,
                             "--json"))
    assert settings == {"organization_usage": "require", "allowed_organizations": [shown["id"]],
                        "admin_organization": None}
    assert "no organization" in refused(idp, "orgs", "client", client.client_id, "--allow", "nowhere")
    assert "no client" in refused(idp, "orgs", "client", "nobody", "--usage", "allow")
    ok(idp, "orgs", "members", "remove", slug, user.email)
    assert ok(idp, "orgs", "members", "list", slug) == "No members.\n"  # an empty list says so (issue 34)
    ok(idp, "orgs", "delete", slug)
    assert "no organization" in refused(idp, "orgs", "show", slug)
    assert [e for e in idp.services.audit_events.list(action="organization.created", limit=500)
            if e.details.get("organization") == slug and e.actor == "cli"]


def test_orgs_groups_cli_manages_an_organizations_groups(idp):
    """`idp orgs groups`: the organization's groups, their members (its members only) and roles."""
    slug = f"cli-g-{uid()}"
    ok(idp, "orgs", "create", "--slug", slug, "--name", "CLI Groups")
    api = f"https://cli-g-{uid()}.example.com/"
    idp.services.apis.create_api(api, "CLI G API", {"g:read": ""})
    idp.services.apis.create_role(api, "reader", ["g:read"])
    member, outsider = idp.create_user(), idp.create_user()
    ok(idp, "orgs", "members", "add", slug, member.email)
    group = f"cli-team-{uid()}"
    ok(idp, "orgs", "groups", "create", slug, group)
    assert ok(idp, "orgs", "groups", "list", slug).split() == [group]
    org_id = idp.services.organizations.by_slug(slug).id
    assert idp.services.apis.group_named(group)[2] == org_id
    ok(idp, "orgs", "groups", "add-member", slug, group, member.email)
    assert "not a member" in refused(idp, "orgs", "groups", "add-member", slug, group, outsider.email)
    assert f"{api}#reader" in ok(idp, "orgs", "groups", "set-roles", slug, group, f"{api}#reader")
    assert idp.services.authorization.organization_roles(org_id, member.id) == {
        api: [{"name": "reader", "scopes": ["g:read"]}]}
    assert "no role nope" in refused(idp, "orgs", "groups", "set-roles", slug, group, f"{api}#nope")
    ok(idp, "orgs", "groups", "remove-member", slug, group, member.email)
    ok(idp, "orgs", "groups", "delete", slug, group)
    assert idp.services.apis.group_named(group) is None
