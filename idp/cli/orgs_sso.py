"""`idp orgs connections …` and `idp orgs branding`: an organization's enterprise connections (home-realm
discovery sends its verified domains' users to them) and the branding its sign-in pages show (issue 33).
The rules are idp/organizations' (connections.py, admin.py); the client secret is read from a prompt
or IDP_CONNECTION_CLIENT_SECRET, never from the command line (which other users of the host can read)."""

from __future__ import annotations

import json
import os

import click

from idp.cli.apis import every
from idp.cli.orgs import administering, orgs

SECRET_ENV = "IDP_CONNECTION_CLIENT_SECRET"


@orgs.group("connections")
def connections():
    """An organization's enterprise connections (OpenID Connect, Google, GitHub, LinkedIn)."""


def _admin(svc):
    from idp.organizations.connections import ConnectionAdmin

    return ConnectionAdmin(svc)


@connections.command("create")
@click.argument("organization")
@click.option("--kind", required=True, type=click.Choice(["oidc", "google", "github", "linkedin"]))
@click.option("--client-id", required=True)
@click.option("--discovery-url", default=None, help="kind oidc: the issuer's /.well-known/openid-configuration")
@click.option("--label", default=None, help="the sign-in button's and error page's name")
def connections_create(organization, kind, client_id, discovery_url, label):
    """The client secret: IDP_CONNECTION_CLIENT_SECRET, or asked for (not echoed)."""
    secret = _secret()
    fields = {"kind": kind, "client_id": client_id, "client_secret": secret,
              **({"discovery_url": discovery_url} if discovery_url else {}), **({"label": label} if label else {})}
    with administering() as (_, svc, actor):
        admin = _admin(svc)
        connection = admin.create(actor, organization, fields)
        document = admin.document(connection)
    click.echo(f"created connection {connection.id}\nregister this redirect URI at the provider: "
               f"{document['callback_url']}")


def _secret() -> str:
    return os.environ.get(SECRET_ENV) or click.prompt("Client secret", hide_input=True)


@connections.command("list")
@click.argument("organization")
@click.option("--json", "as_json", is_flag=True)
def connections_list(organization, as_json):
    """An organization's enterprise connections (never their secrets)."""
    with administering() as (_, svc, actor):
        admin = _admin(svc)
        for connection in every(lambda **page: admin.list(actor, organization, **page)):
            click.echo(json.dumps(admin.document(connection)) if as_json else
                       f"{connection.id}  {connection.kind}  {connection.label}  {connection.client_id}")


@connections.command("show")
@click.argument("organization")
@click.argument("connection")
def connections_show(organization, connection):
    """One connection, with the callback URL to register at its provider."""
    with administering() as (_, svc, actor):
        admin = _admin(svc)
        click.echo(json.dumps(admin.document(admin.get(actor, organization, connection)), indent=2))


@connections.command("update")
@click.argument("organization")
@click.argument("connection")
@click.option("--client-id", default=None)
@click.option("--discovery-url", default=None)
@click.option("--label", default=None)
@click.option("--rotate-secret", is_flag=True, help="a new client secret (IDP_CONNECTION_CLIENT_SECRET or asked)")
def connections_update(organization, connection, client_id, discovery_url, label, rotate_secret):
    """Change a connection's label, client id, discovery URL or secret."""
    changes = {k: v for k, v in (("client_id", client_id), ("discovery_url", discovery_url), ("label", label))
               if v is not None}
    if rotate_secret:
        changes["client_secret"] = _secret()
    if not changes:
        raise click.UsageError("nothing to change")
    with administering() as (_, svc, actor):
        _admin(svc).update(actor, organization, connection, changes)
    click.echo(f"updated connection {connection}: {', '.join(sorted(changes))}")


@connections.command("delete")
@click.argument("organization")
@click.argument("connection")
def connections_delete(organization, connection):
    """Delete a connection: its users sign in no more through it."""
    with administering() as (_, svc, actor):
        _admin(svc).delete(actor, organization, connection)
    click.echo(f"deleted connection {connection}")


@orgs.command("branding")
@click.argument("organization")
@click.option("--display-name", default=None)
@click.option("--logo-url", default=None, help="https only; '' removes it")
@click.option("--primary-color", default=None, help="#rrggbb; '' removes it")
def orgs_branding(organization, display_name, logo_url, primary_color):
    """What ORGANIZATION's sign-in pages show instead of the deployment's brand."""
    branding = {k: (v or None) for k, v in (("display_name", display_name), ("logo_url", logo_url),
                                            ("primary_color", primary_color)) if v is not None}
    if not branding:
        raise click.UsageError("nothing to change")
    with administering() as (admin, _, actor):
        org = admin.update(actor, organization, {"branding": branding})
    click.echo(json.dumps({"display_name": org.display_name, "logo_url": org.logo_url,
                           "primary_color": org.primary_color}))
