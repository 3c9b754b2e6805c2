"""`idp admins`: who may enter the web admin console (/admin). The first administrator is made
here, by an operator with access to the configuration; every change is audited."""

from __future__ import annotations

import click

from idp.cli.common import load_services, request_like_context, user_by_email
from idp.observability.audit import record as audit_record


@click.group()
def admins():
    """Manage administrators of the web console."""


@admins.command("grant")
@click.option("--email", required=True)
def admins_grant(email):
    """Make a user an administrator (they still need a second factor to enter the console)."""
    svc = load_services()
    user = user_by_email(svc, email)
    with request_like_context(svc):
        if not svc.administrators.grant(user.id, granted_by="cli"):
            click.echo(f"{user.email} is already an administrator")
            return
        audit_record("admin.granted", user_id=user.id, by="cli")
    mfa = "" if svc.mfa.is_enrolled(user.id) else " (no second factor yet: they must turn one on at /account/mfa)"
    click.echo(f"{user.email} is now an administrator{mfa}")


@admins.command("revoke")
@click.option("--email", required=True)
def admins_revoke(email):
    """Take the console away from a user, at once on every replica."""
    svc = load_services()
    user = user_by_email(svc, email)
    with request_like_context(svc):
        if not svc.administrators.revoke(user.id):
            raise click.ClickException(f"{user.email} is not an administrator")
        audit_record("admin.revoked", user_id=user.id, by="cli")
    click.echo(f"{user.email} is no longer an administrator")


@admins.command("list")
def admins_list():
    for admin in load_services().administrators.list():
        click.echo(f"{admin.user_id}  {admin.email}  granted {admin.granted_at:%Y-%m-%d %H:%M} UTC by {admin.granted_by}")
