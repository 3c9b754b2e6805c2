"""`idp apis|groups|roles`, run as an operator would (a subprocess) against the live IdP's data:
clear errors, every change audited, and on both backends the change reaches the next token at once."""

from __future__ import annotations

import subprocess
import sys

from .apis_helpers import USER_SCOPES, claims_of, code_flow, token_request, uid


def cli(idp, *args):
    return subprocess.run([sys.executable, "-m", "idp.cli", *args], env=idp.cli_env(), capture_output=True,
                          text=True, timeout=60)


def ok(idp, *args) -> str:
    result = cli(idp, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def refused(idp, *args) -> str:
    result = cli(idp, *args)
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
    return result.stderr


def test_cli_registers_an_api_with_a_default_client_and_refuses_bad_input_clearly(idp):
    client, _ = idp.create_client(scope="openid")
    ident = f"https://cli-{uid()}.example.com/"
    ok(idp, "apis", "create", "--identifier", ident, "--name", "CLI API", "--scope", "cli:read=Read things",
       "--scope", "cli:write", "--access-token-ttl", "300", "--default-for", client.client_id)
    assert ident in ok(idp, "apis", "list")
    api = idp.services.apis.api(ident)
    assert api.scopes == {"cli:read": "Read things", "cli:write": ""} and api.access_token_ttl == 300
    assert [a.is_default for a in idp.services.apis.allowances(client.client_id)] == [True]
    assert "absolute URI" in refused(idp, "apis", "create", "--identifier", "orders", "--name", "x")
    assert "already exists" in refused(idp, "apis", "create", "--identifier", ident, "--name", "again")
    assert "no client" in refused(idp, "apis", "allow", ident, "--client", "nobody")
    assert "does not define" in refused(idp, "apis", "allow", ident, "--client", client.client_id, "--scope", "x:y")
    assert "no API" in refused(idp, "roles", "create", "--api", "https://none.example/", "--name", "r")
    assert "no group" in refused(idp, "groups", "add-member", "nowhere", "--email", idp.create_user().email)
    assert "no user" in refused(idp, "groups", "add-member", "nowhere", "--email", "nobody@example.com")
    assert [e.action for e in idp.services.audit_events.list(action="api.created")]
    ok(idp, "apis", "delete", ident)
    assert idp.services.apis.api(ident) is None
    assert "no API" in refused(idp, "apis", "delete", ident)


def test_cli_groups_and_roles_reach_the_next_token_and_are_audited(idp, browser):
    """On both backends (issue 34): with the embedded default the version of the authorization cache
    lives in the database too (idp/store/versions.py), so a command's change reaches the running server
    at once although its store is the server's own memory."""
    client, secret = idp.create_client(scope=USER_SCOPES)
    user = idp.create_user()
    ident, outer, inner = f"https://team-{uid()}.example.com/", f"org-{uid()}", f"team-{uid()}"
    ok(idp, "apis", "create", "--identifier", ident, "--name", "Team API", "--scope", "team:read=Read the team",
       "--default-for", client.client_id)
    for name in (outer, inner):
        ok(idp, "groups", "create", name)
    ok(idp, "groups", "add-member", outer, "--group", inner)
    ok(idp, "groups", "add-member", inner, "--email", user.email)
    assert "contain" in refused(idp, "groups", "add-member", inner, "--group", outer)  # a loop
    assert outer in ok(idp, "groups", "list").split()
    ok(idp, "roles", "create", "--api", ident, "--name", "lead", "--scope", "team:read")
    ok(idp, "roles", "assign", "--api", ident, "--name", "lead", "--group", outer)
    assert "lead" in ok(idp, "roles", "list", "--api", ident)

    token = code_flow(idp, browser, client, secret, user, scope="openid offline_access team:read")  # no resource
    claims = claims_of(token["access_token"])
    assert claims["aud"] == ident and claims["roles"] == ["lead"]  # the client's default API

    ok(idp, "roles", "unassign", "--api", ident, "--name", "lead", "--group", outer)
    assert "does not hold" in refused(idp, "roles", "unassign", "--api", ident, "--name", "lead", "--group", outer)
    refreshed = token_request(idp, (client.client_id, secret), grant_type="refresh_token",
                              refresh_token=token["refresh_token"])
    assert refreshed.status_code == 200 and "roles" not in claims_of(refreshed.json()["access_token"])
    ok(idp, "groups", "remove-member", inner, "--email", user.email)
    ok(idp, "roles", "delete", "--api", ident, "--name", "lead")
    ok(idp, "groups", "delete", inner)
    actions = {e.action for e in idp.services.audit_events.list(limit=200)}
    assert {"group.created", "group.member_added", "role.created", "role.assigned", "role.unassigned",
            "group.member_removed", "role.deleted", "group.deleted"} <= actions
