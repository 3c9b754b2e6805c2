"""`idp users`: accounts, as an operator sees them."""

from __future__ import annotations

import sys

import click

from idp.cli.common import (
    load_services,
    request_like_context,
    user_by_email,
)
from idp.cli.paging import limit_options, stream
from idp.observability.audit import record as audit_record


@click.group()
def users():
    """Manage users."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--password", default=None, help="prefer --password-stdin: arguments show in process lists")
@click.option("--password-stdin", is_flag=True)
@click.option("--name", default=None)
@click.option("--verified/--unverified", default=True)
def users_create(email, password, password_stdin, name, verified):
    from idp.plumbing.security import hash_password
    from idp.store.errors import Conflict

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise click.UsageError("give --password-stdin or --password")
    if "@" not in email or len(email) > 320:
        raise click.UsageError("--email must be an email address")
    try:
        user = load_services().users.create(email, hash_password(password), name, email_verified=verified)
    except Conflict as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created user {user.id} <{user.email}>")


@users.command("list")
@limit_options
def users_list(limit, after):
    """Users, oldest first (id, email, name, state)."""
    for user in stream(load_services().users.page, lambda row: row.id, limit, after):
        state = "disabled" if user.disabled else "active"
        click.echo(f"{user.id}  {user.email}  {user.name or ''}  {state}")


@users.command("disable")
@click.option("--email", required=True)
def users_disable(email):
    """Shut a user out now, on every replica: sign-in and token issuance refused, every browser
    session ended (relying parties told by back-channel logout), every grant's refresh and access
    tokens revoked."""
    svc = load_services()
    user = user_by_email(svc, email)
    with request_like_context(svc):
        svc.users.set_disabled(user.id, True)
        ended = svc.sessions.end_all(user.id)
        revoked = svc.tokens.revoke_user_grants(user.id)
        audit_record("user.disabled", user_id=user.id, sessions_ended=ended, grants_revoked=revoked)
    click.echo(f"disabled {user.email}: {ended} session(s) ended, {revoked} grant(s) revoked")


@users.command("enable")
@click.option("--email", required=True)
def users_enable(email):
    """Let a disabled user sign in again (their ended sessions and revoked tokens stay so)."""
    svc = load_services()
    user = user_by_email(svc, email)
    with request_like_context(svc):
        svc.users.set_disabled(user.id, False)
        audit_record("user.enabled", user_id=user.id)
    click.echo(f"enabled {user.email}")
