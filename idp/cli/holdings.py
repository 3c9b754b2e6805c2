"""`idp users roles|groups`, `idp groups roles`, `idp apis role-holders` (issue 34): who holds what,
read through Holdings (idp/administration/holdings.py) as the console and the admin API read it."""

from __future__ import annotations

import json

import click

from idp.cli.apis import administering, every
from idp.cli.paging import limit_options, stream


def sources_text(sources) -> str:
    """direct; group ops (via team-a, team-b)"""
    parts = []
    for source in sources:
        if source.group is None:
            parts.append("direct")
        else:
            parts.append(f"group {source.group}" + (f" (via {', '.join(source.via)})" if source.via else ""))
    return "; ".join(parts)


def _user_id(svc, user: str) -> str:
    """A user named by email or id (the service refuses an unknown id)."""
    if "@" in user:
        found = svc.users.by_email(user)
        if found is None:
            raise click.ClickException(f"no user with email {user}")
        return found.id
    return user


def _print_roles(holdings, as_json: bool) -> None:
    from idp.administration.holdings import role_holding_document

    for holding in holdings:
        if as_json:
            click.echo(json.dumps(role_holding_document(holding), sort_keys=True))
        else:
            click.echo(f"{holding.api}  {holding.role}  from: {sources_text(holding.sources)}")


@click.command("roles")
@click.argument("user")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
def users_roles(user, as_json):
    """The effective roles of USER (email or id), each with where it comes from: assigned directly, or
    to a group they are in (via the groups in between). What their next token carries."""
    from idp.administration.holdings import Holdings

    with administering() as (_, _, svc, _):
        holdings, user_id = Holdings(svc), _user_id(svc, user)
        _print_roles(every(lambda **page: holdings.user_roles(user_id, **page)), as_json)


@click.command("groups")
@click.argument("user")
def users_groups(user):
    """The groups of USER (email or id): directly, or through the groups named after `via`."""
    from idp.administration.holdings import Holdings

    with administering() as (_, _, svc, _):
        holdings, user_id = Holdings(svc), _user_id(svc, user)
        for group in every(lambda **page: holdings.user_groups(user_id, **page)):
            click.echo(group.name + (f"  via {', '.join(group.via)}" if group.via else "  direct"))


@click.command("roles")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
def groups_roles(name, as_json):
    """The roles the members of group NAME hold through it: its own, and those of the groups it is inside."""
    from idp.administration.holdings import Holdings

    with administering() as (_, groups_admin, svc, _):
        holdings, group_id = Holdings(svc), groups_admin.by_name(name).id
        _print_roles(every(lambda **page: holdings.group_roles(group_id, **page)), as_json)


@click.command("role-holders")
@click.argument("identifier")
@click.argument("role")
@limit_options
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
def apis_role_holders(identifier, role, limit, after, as_json):
    """The users who hold ROLE of the API IDENTIFIER, by user id (the first column: the cursor of
    --after): directly, or through the groups named."""
    from idp.administration.holdings import Holdings, holder_document

    with administering() as (admin, _, svc, _):
        holdings, api_id = Holdings(svc), admin.by_identifier(identifier).id

        def fetch(size, cursor):
            return holdings.role_holders(api_id, role, after=[cursor] if cursor else None, limit=size).items

        for holder in stream(fetch, lambda row: row.user_id, limit, after):
            if as_json:
                click.echo(json.dumps(holder_document(holder), sort_keys=True))
                continue
            how = (["direct"] if holder.direct else []) + [f"group {g}" for g in holder.groups]
            click.echo(f"{holder.user_id}  {holder.email}  {holder.name or ''}  from: {'; '.join(how)}")
