"""`idp users`: accounts, as an operator sees them (through idp/administration, as the admin API)."""

from __future__ import annotations

import sys

import click

from idp.cli.common import (
    load_services,
    request_like_context,
)
from idp.cli.paging import limit_options, or_none, stream
from idp.plumbing.security import password_scheme


def _admin(svc):
    from idp.administration.users import UserAdmin

    return UserAdmin(svc)


def _refused(exc) -> click.ClickException:
    return click.ClickException(str(exc))


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
    """With a password that meets the policy (at least 12 characters, not a common one)."""
    from idp.administration import Actor, AdminError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise click.UsageError("give --password-stdin or --password")
    svc = load_services()
    with request_like_context(svc):
        try:
            user = _admin(svc).create(Actor.operator(), email=email, name=name, password=password,
                                      email_verified=verified)
        except AdminError as exc:
            raise _refused(exc) from None
    click.echo(f"created user {user.id} <{user.email}>")


@users.command("list")
@click.option("--search", default=None, help="email or name prefix (then listed by email)")
@click.option("--query", "-q", default=None, help="text the email or name holds anywhere (then listed by email)")
@limit_options
def users_list(search, query, limit, after):
    """Users, oldest first (id, email, name, state, password scheme); with --search, those whose email or
    name starts with it; with --query, those whose email or name holds it. The scheme shows how far a
    migration has come: imported hashes (bcrypt, pbkdf2-*, …) become argon2id at each user's next sign-in."""
    from idp.administration import AdminError

    svc = load_services()
    if search or query:
        admin = _admin(svc)
        try:
            admin.list(search=search, q=query, limit=1)  # a wrong --query is a usage error, before any row
        except AdminError as exc:
            raise click.UsageError(str(exc)) from None
        rows = stream(lambda size, cursor: _search_page(admin, search, query, size, cursor), lambda row: row.email,
                      limit, after)
    else:
        rows = stream(svc.users.page_by_age, lambda row: row.id, limit, after)
    nothing = f"No users whose email or name starts with {search}." if search else "No users."
    for user in or_none(rows, "No more users." if after else nothing):
        state = "disabled" if user.disabled else "active"
        scheme = user.password_scheme if hasattr(user, "password_scheme") else password_scheme(user.password_hash)
        click.echo(f"{user.id}  {user.email}  {user.name or ''}  {state}  {scheme or 'no-password'}")


def _search_page(admin, search, query, size, after_email):
    return admin.list(search=search or None, q=query, after=[after_email] if after_email else None, limit=size).items


def _set_disabled(email: str, disabled: bool) -> dict:
    from idp.administration import Actor, AdminError

    svc = load_services()
    admin = _admin(svc)
    with request_like_context(svc):
        try:
            return admin.set_disabled(Actor.operator(), admin.by_email(email).id, disabled)
        except AdminError as exc:
            raise _refused(exc) from None


@users.command("disable")
@click.option("--email", required=True)
def users_disable(email):
    """Shut a user out now, on every replica: sign-in and token issuance refused, every browser
    session ended (relying parties told by back-channel logout), every grant's refresh and access
    tokens revoked."""
    effects = _set_disabled(email, True)
    click.echo(f"disabled {email}: {effects.get('sessions_ended', 0)} session(s) ended, "
               f"{effects.get('grants_revoked', 0)} grant(s) revoked")


@users.command("enable")
@click.option("--email", required=True)
def users_enable(email):
    """Let a disabled user sign in again (their ended sessions and revoked tokens stay so)."""
    _set_disabled(email, False)
    click.echo(f"enabled {email}")


@users.command("delete")
@click.option("--email", required=True)
@click.confirmation_option(prompt="Delete the user, their grants, sessions and links?")
def users_delete(email):
    """Delete a user with their consents, refresh tokens (access tokens revoked), federated links,
    second factors and browser sessions (as DELETE /admin/api/v1/users/{id})."""
    from idp.administration import Actor, AdminError

    svc = load_services()
    admin = _admin(svc)
    with request_like_context(svc):
        try:
            admin.delete(Actor.operator(), admin.by_email(email).id)
        except AdminError as exc:
            raise _refused(exc) from None
    click.echo(f"deleted {email}")


@users.command("metadata")
@click.option("--email", required=True)
@click.option("--app", "app_metadata", default=None, metavar="JSON",
              help="replace app_metadata with this JSON object (null clears it)")
@click.option("--user", "user_metadata", default=None, metavar="JSON",
              help="replace user_metadata with this JSON object (null clears it)")
def users_metadata(email, app_metadata, user_metadata):
    """Show a user's app_metadata and user_metadata, or replace them (issue 35: claim mappings put
    them in tokens; docs/claims.md). Checked as the admin API checks them: objects of at most
    USER_METADATA_MAX_BYTES, nested at most 10 deep."""
    import json

    from idp.administration import Actor, AdminError
    from idp.plumbing import json_input

    changes = {}
    for name, text in (("app_metadata", app_metadata), ("user_metadata", user_metadata)):
        if text is not None:
            try:
                changes[name] = json_input.loads(text)
            except ValueError:
                raise click.BadParameter("not JSON", param_hint=f"--{name.split('_')[0]}") from None
    svc = load_services()
    admin = _admin(svc)
    with request_like_context(svc):
        try:
            user = admin.by_email(email)
            if changes:
                user = admin.update(Actor.operator(), user.id, changes)
        except AdminError as exc:
            raise _refused(exc) from None
    click.echo(json.dumps({"app_metadata": user.app_metadata or {}, "user_metadata": user.user_metadata or {}},
                          indent=2, sort_keys=True))
