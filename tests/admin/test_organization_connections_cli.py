"""`idp orgs connections …` and `idp orgs branding`, run as an operator would (a subprocess) against the
live IdP's data (issue 33): the secret from IDP_CONNECTION_CLIENT_SECRET, never printed; clear errors,
never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.apis_helpers import uid
from tests.test_apis_cli import ok, refused


def with_secret(idp, secret, *args):
    env = {**idp.cli_env(), "IDP_CONNECTION_CLIENT_SECRET": secret}
    return subprocess.run([sys.executable, "-m", "idp.cli", *args], env=env, capture_output=True, text=True,
                          timeout=60)


def test_orgs_connections_cli_creates_lists_rotates_and_deletes(idp):
    slug = f"sso-{uid()}"
    ok(idp, "orgs", "create", "--slug", slug, "--name", "SSO Corp")
    made = with_secret(idp, "cli-secret-value", "orgs", "connections", "create", slug, "--kind", "oidc",
                       "--client-id", "cli-client", "--discovery-url",
                       "https://sso.example.com/.well-known/openid-configuration")
    assert made.returncode == 0, made.stderr
    connection_id = made.stdout.split()[2]
    assert f"/federation/connections/{connection_id}/callback" in made.stdout
    listed = [json.loads(line) for line in ok(idp, "orgs", "connections", "list", slug, "--json").splitlines()]
    assert [c["id"] for c in listed] == [connection_id] and "cli-secret-value" not in str(listed)
    rotated = with_secret(idp, "rotated-cli-secret", "orgs", "connections", "update", slug, connection_id,
                          "--rotate-secret", "--label", "Corp")
    assert rotated.returncode == 0 and "rotated" not in rotated.stdout, rotated.stderr
    assert idp.services.org_connections.get(connection_id).secret() == "rotated-cli-secret"
    assert json.loads(ok(idp, "orgs", "connections", "show", slug, connection_id))["label"] == "Corp"
    bad = with_secret(idp, "x", "orgs", "connections", "create", slug, "--kind", "oidc", "--client-id", "c",
                      "--discovery-url", "http://sso.example.com/")
    assert bad.returncode != 0 and "discovery_url" in bad.stderr and "Traceback" not in bad.stderr
    assert "no connection" in refused(idp, "orgs", "connections", "show", slug, "org.nothing")
    ok(idp, "orgs", "connections", "delete", slug, connection_id)
    assert ok(idp, "orgs", "connections", "list", slug) == ""


def test_orgs_branding_cli_sets_and_removes_the_organizations_brand(idp):
    slug = f"brand-{uid()}"
    ok(idp, "orgs", "create", "--slug", slug, "--name", "Brand CLI")
    shown = json.loads(ok(idp, "orgs", "branding", slug, "--display-name", "Brand Portal", "--primary-color",
                          "#0A0B0C", "--logo-url", "https://cdn.example.com/l.png"))
    assert shown == {"display_name": "Brand Portal", "logo_url": "https://cdn.example.com/l.png",
                     "primary_color": "#0a0b0c"}
    assert "branding.primary_color" in refused(idp, "orgs", "branding", slug, "--primary-color", "red;}")
    assert "branding.logo_url" in refused(idp, "orgs", "branding", slug, "--logo-url", "http://cdn.example.com/l.png")
    assert json.loads(ok(idp, "orgs", "branding", slug, "--logo-url", ""))["logo_url"] is None
