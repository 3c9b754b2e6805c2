"""`idp users remove-passkeys`: an administrator removes every passkey of a user (a lost or
stolen device), audited. The user signs in with the password, a reset email or a recovery code."""

from __future__ import annotations

import click

from idp.cli.common import load_services, request_like_context, user_by_email
from idp.observability.audit import record as audit_record


@click.command("remove-passkeys")
@click.option("--email", required=True)
def remove_passkeys(email):
    """Remove all passkeys of the user with this email."""
    svc = load_services()
    user = user_by_email(svc, email)
    with request_like_context(svc):
        removed = svc.passkeys.remove_all(user.id)
        audit_record("passkey.removed_by_admin", user_id=user.id, count=removed)
    click.echo(f"removed {removed} passkey(s) of {user.email}")
