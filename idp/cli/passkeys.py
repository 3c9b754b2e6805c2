"""`idp users remove-passkeys`: an administrator removes every passkey of a user (a lost or
stolen device), audited (UserAccess.remove_passkeys, as the admin API and the console). The user
signs in with the password, a reset email or a recovery code."""

from __future__ import annotations

import click

from idp.administration import Actor
from idp.administration.user_access import UserAccess
from idp.cli.common import load_services, refusals, request_like_context, user_by_email


@click.command("remove-passkeys")
@click.option("--email", required=True)
def remove_passkeys(email):
    """Remove all passkeys of the user with this email."""
    svc = load_services()
    user = user_by_email(svc, email)
    with refusals(), request_like_context(svc):
        removed = UserAccess(svc).remove_passkeys(Actor.operator(), user.id)
    click.echo(f"removed {removed} passkey(s) of {user.email}")
