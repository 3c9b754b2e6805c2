"""`idp admins`: who may enter the web admin console (/admin). The first administrator is made
here, by an operator with access to the configuration; every change is audited. The rules
(idempotent grant, never the last one revoked) are idp/administration/administrators.py's, which
the admin API's /admins uses too."""

from __future__ import annotations

import click

from idp.administration import Actor
from idp.cli.common import load_services, refusals, request_like_context, user_by_email
from idp.cli.paging import or_none, stream


@click.group()
def admins():
    """Manage administrators of the web console."""


def administration():
    from idp.administration.administrators import AdministratorAdmin

    svc = load_services()
    return svc, AdministratorAdmin(svc)


@admins.command("grant")
@click.option("--email", required=True)
def admins_grant(email):
    """Make a user an administrator (they still need a second factor to enter the console)."""
    svc, admin = administration()
    user = user_by_email(svc, email)
    with refusals(), request_like_context(svc):
        _, made = admin.grant(Actor.operator(), user.id)
    if not made:
        click.echo(f"{user.email} is already an administrator")
        return
    mfa = "" if svc.mfa.is_enrolled(user.id) else " (no second factor yet: they must turn one on at /account/mfa)"
    click.echo(f"{user.email} is now an administrator{mfa}")


@admins.command("revoke")
@click.option("--email", required=True)
def admins_revoke(email):
    """Take the console away from a user, at once on every replica (never the last administrator)."""
    svc, admin = administration()
    user = user_by_email(svc, email)
    if not svc.administrators.is_administrator(user.id):
        raise click.ClickException(f"{user.email} is not an administrator")
    with refusals(), request_like_context(svc):
        admin.revoke(Actor.operator(), user.id)
    click.echo(f"{user.email} is no longer an administrator")


@admins.command("list")
def admins_list():
    """Who may use the console (/admin): user id, email, when and by whom granted."""
    _, admin = administration()
    for row in or_none(stream(lambda size, after: admin.list(after=after, limit=min(size, 500)).items,
                              lambda row: [row.user_id], None), "No administrators (idp admins grant --email E)."):
        click.echo(f"{row.user_id}  {row.email}  granted {row.granted_at:%Y-%m-%d %H:%M} UTC by {row.granted_by}")
