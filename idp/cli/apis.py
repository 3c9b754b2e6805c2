"""`idp apis`, `idp groups`, `idp roles`: registered APIs (RFC 8707 resources) and who may get
what in their tokens (issue 21). Every change is audited; a bad name is a clear error, not a trace."""

from __future__ import annotations

import contextlib
import json

import click

from idp.cli.common import (
    CLAIM_MAP_HELP,
    claim_mappings_from,
    load_services,
    refusals,
    request_like_context,
    user_by_email,
)
from idp.cli.paging import or_none


@contextlib.contextmanager
def administering():
    """The services, an app context for the audit trail, and the administration's refusals as clear
    CLI errors; yields (ApiAdmin, GroupAdmin, services, the operator's Actor)."""
    from idp.administration import Actor
    from idp.administration.apis import ApiAdmin
    from idp.administration.groups import GroupAdmin

    svc = load_services()
    with request_like_context(svc), refusals():
        yield ApiAdmin(svc), GroupAdmin(svc), svc, Actor.operator()


def every(list_page):
    """Each item of a paged list, a page of MAX_LIMIT at a time (streamed: never the whole table in memory)."""
    from idp.administration import MAX_LIMIT

    after = None
    while True:
        page = list_page(after=after, limit=MAX_LIMIT)
        yield from page.items
        if page.next_key is None:
            return
        after = page.next_key


def parse_scopes(values) -> dict:
    """`name` or `name=description` (the consent page shows the description)."""
    scopes = {}
    for value in values:
        name, _, description = value.partition("=")
        scopes[name.strip()] = description.strip()
    return scopes


# -- apis ----------------------------------------------------------------------------------------
@click.group()
def apis():
    """Registered APIs: their identifier is the `resource` clients ask for and the tokens' aud."""


@apis.command("create")
@click.option("--identifier", required=True, help="absolute URI (RFC 8707 2)")
@click.option("--name", required=True)
@click.option("--scope", "scopes", multiple=True, help="NAME or NAME=DESCRIPTION; repeat")
@click.option("--role-scope", "role_scopes", multiple=True, help="a scope a user's token gets only through a role")
@click.option("--access-token-ttl", type=click.IntRange(min=1), default=None, help="seconds")
@click.option("--dpop-only", is_flag=True, help="tokens for this API must be DPoP-bound (RFC 9449)")
@click.option("--resource-server", default=None, help="client_id this API introspects as (RFC 7662)")
@click.option("--default-for", "default_for", multiple=True, help="client_id that gets this API without `resource`")
def apis_create(identifier, name, scopes, role_scopes, access_token_ttl, dpop_only, resource_server, default_for):
    """Register an API (a resource server): its identifier (the audience), name and scopes."""
    with administering() as (admin, _, _, actor):
        api = admin.create(actor, {"identifier": identifier, "name": name, "scopes": parse_scopes(scopes),
                                   "role_scopes": list(role_scopes), "access_token_ttl": access_token_ttl,
                                   "dpop_only": dpop_only, "resource_server": resource_server})
        for client_id in default_for:
            admin.grant(actor, api.id, client_id, None, default=True)
    click.echo(f"created API {identifier}")


@apis.command("list")
@click.option("--query", "-q", default=None, help="text the name or identifier holds anywhere")
@click.option("--json", "as_json", is_flag=True)
def apis_list(query, as_json):
    """Registered APIs: identifier, name, scopes."""
    from idp.administration.apis import api_document

    with administering() as (admin, _, _, _):
        for api in or_none(every(lambda **page: admin.list(q=query, **page)), "No APIs.", err=as_json):
            if as_json:
                click.echo(json.dumps(api_document(api)))
            else:
                click.echo(f"{api.identifier}  {api.name}  scopes: {' '.join(api.scopes) or '-'}")


@apis.command("delete")
@click.argument("identifier")
def apis_delete(identifier):
    """Its roles, assignments and client allowances go with it; refresh tokens for it stop working."""
    with administering() as (admin, _, _, actor):
        admin.delete(actor, admin.by_identifier(identifier).id)
    click.echo(f"deleted API {identifier}")


@apis.command("allow")
@click.argument("identifier")
@click.option("--client", "client_id", required=True)
@click.option("--scope", "scopes", multiple=True, help="only these scopes (default: every scope of the API)")
@click.option("--default", "is_default", is_flag=True, help="the API this client gets without `resource`")
def apis_allow(identifier, client_id, scopes, is_default):
    """Let a client ask tokens for an API (some of its scopes, or all)."""
    with administering() as (admin, _, _, actor):
        admin.grant(actor, admin.by_identifier(identifier).id, client_id, list(scopes) or None, is_default)
    click.echo(f"{client_id} may ask tokens for {identifier}")


@apis.command("claims")
@click.argument("identifier")
@click.option("--map", "maps", multiple=True, help=CLAIM_MAP_HELP)
@click.option("--clear", is_flag=True, help="no mapped claims")
def apis_claims(identifier, maps, clear):
    """Replace the claims this API's access tokens carry (issue 35); the next token has them."""
    with administering() as (admin, _, _, actor):
        mappings = claim_mappings_from(maps, clear)
        admin.update(actor, admin.by_identifier(identifier).id, {"claim_mappings": mappings})
    click.echo(f"{identifier}: {len(mappings)} claim mapping(s)")


# -- groups --------------------------------------------------------------------------------------
@click.group()
def groups():
    """Groups of users (and of groups) that roles are given to."""


@groups.command("create")
@click.argument("name")
def groups_create(name):
    """Create a group."""
    with administering() as (_, groups_admin, _, actor):
        groups_admin.create(actor, {"name": name})
    click.echo(f"created group {name}")


@groups.command("list")
@click.option("--query", "-q", default=None, help="text the name holds anywhere")
def groups_list(query):
    """Group names."""
    with administering() as (_, groups_admin, _, _):
        for group in or_none(every(lambda **page: groups_admin.list(q=query, **page)), "No groups."):
            click.echo(group.name)


@groups.command("delete")
@click.argument("name")
def groups_delete(name):
    """Delete a group; its members lose what it gave them at their next token."""
    with administering() as (_, groups_admin, _, actor):
        groups_admin.delete(actor, groups_admin.by_name(name).id)
    click.echo(f"deleted group {name}")


@groups.command("add-member")
@click.argument("group")
@click.option("--email", default=None, help="a user")
@click.option("--group", "member_group", default=None, help="a group (nested)")
def groups_add_member(group, email, member_group):
    """Add a user (or a group) to a group."""
    if (email is None) == (member_group is None):
        raise click.UsageError("give exactly one of --email or --group")

    with administering() as (_, groups_admin, svc, actor):
        user_id = user_by_email(svc, email).id if email else None  # an unknown user first, then the group
        parent = groups_admin.by_name(group)
        if user_id is not None:
            groups_admin.add_member(actor, parent.id, user_id)
        else:
            groups_admin.add_group(actor, parent.id, groups_admin.by_name(member_group).id)
    click.echo(f"added {email or member_group} to {group}")


@groups.command("remove-member")
@click.argument("group")
@click.option("--email", required=True)
def groups_remove_member(group, email):
    """Remove a user from a group."""
    with administering() as (_, groups_admin, svc, actor):
        user_id = user_by_email(svc, email).id
        groups_admin.remove_member(actor, groups_admin.by_name(group).id, user_id)
    click.echo(f"removed {email} from {group}")


# -- roles ---------------------------------------------------------------------------------------
@click.group()
def roles():
    """Roles of an API: a name its tokens carry, standing for some of its scopes."""


@roles.command("create")
@click.option("--api", "identifier", required=True)
@click.option("--name", required=True)
@click.option("--scope", "scopes", multiple=True)
@click.option("--description", default=None)
def roles_create(identifier, name, scopes, description):
    """Create a role of an API, with the scopes it grants."""
    with administering() as (admin, _, _, actor):
        admin.add_role(actor, admin.by_identifier(identifier).id,
                       {"name": name, "scopes": list(scopes), "description": description})
    click.echo(f"created role {name} of {identifier}")


@roles.command("list")
@click.option("--api", "identifier", required=True)
def roles_list(identifier):
    """An API's roles: name, scopes, description."""
    with administering() as (admin, _, _, _):
        api_id = admin.by_identifier(identifier).id
        for role in or_none(every(lambda **page: admin.roles(api_id, **page)), f"No roles in {identifier}."):
            click.echo(f"{role.name}  {' '.join(role.scopes) or '-'}  {role.description or ''}")


@roles.command("delete")
@click.option("--api", "identifier", required=True)
@click.option("--name", required=True)
def roles_delete(identifier, name):
    """Delete a role of an API (and its assignments)."""
    with administering() as (admin, _, _, actor):
        admin.remove_role(actor, admin.by_identifier(identifier).id, name)
    click.echo(f"deleted role {name} of {identifier}")


def _holder(email, group):
    if (email is None) == (group is None):
        raise click.UsageError("give exactly one of --email or --group")


@roles.command("assign")
@click.option("--api", "identifier", required=True)
@click.option("--name", required=True)
@click.option("--email", default=None)
@click.option("--group", default=None)
def roles_assign(identifier, name, email, group):
    """Give a role to a user or a group."""
    _holder(email, group)

    with administering() as (admin, _, svc, actor):
        admin.assign(actor, admin.by_identifier(identifier).id, name,
                     user_id=user_by_email(svc, email).id if email else None, group=group)
    click.echo(f"gave {name} to {email or group}")


@roles.command("unassign")
@click.option("--api", "identifier", required=True)
@click.option("--name", required=True)
@click.option("--email", default=None)
@click.option("--group", default=None)
def roles_unassign(identifier, name, email, group):
    """Take a role back from a user or a group."""
    _holder(email, group)

    with administering() as (admin, _, svc, actor):
        admin.unassign(actor, admin.by_identifier(identifier).id, name,
                       user_id=user_by_email(svc, email).id if email else None, group=group)
    click.echo(f"took {name} from {email or group}")
