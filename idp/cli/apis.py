"""`idp apis`, `idp groups`, `idp roles`: registered APIs (RFC 8707 resources) and who may get
what in their tokens (issue 21). Every change is audited; a bad name is a clear error, not a trace."""

from __future__ import annotations

import json

import click

from idp.cli.common import load_services, request_like_context, user_by_email
from idp.observability.audit import record as audit_record


def change(event: str, work, **fields):
    """Run one registry change with the services, audit it, turn the registry's refusals into CLI errors."""
    from idp.store.apis import Invalid, NotFound
    from idp.store.errors import Conflict

    svc = load_services()
    with request_like_context(svc):
        try:
            result = work(svc)
        except (Invalid, NotFound) as exc:
            raise click.ClickException(str(exc)) from None
        except Conflict:
            raise click.ClickException("it already exists") from None
        if result is not False:  # a delete that found nothing changed nothing: nothing to audit
            audit_record(event, **fields)
    return result


def must_have_changed(event: str, work, missing: str, **fields) -> None:
    """A delete or removal that found nothing to change is an error the operator sees."""
    if not change(event, work, **fields):
        raise click.ClickException(missing)


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
    def work(svc):
        svc.apis.create_api(identifier, name, parse_scopes(scopes), access_token_ttl, dpop_only, list(role_scopes),
                            resource_server)
        for client_id in default_for:
            svc.apis.allow(identifier, client_id, None, default=True)
    change("api.created", work, api=identifier, default_for=list(default_for))
    click.echo(f"created API {identifier}")


@apis.command("list")
@click.option("--json", "as_json", is_flag=True)
def apis_list(as_json):
    svc = load_services()
    found, after = [], ""
    while page := svc.apis.apis(after=after):
        found += page
        after = page[-1].identifier
    for api in found:
        if as_json:
            click.echo(json.dumps({"identifier": api.identifier, "name": api.name, "scopes": api.scopes,
                                   "role_scopes": list(api.role_scopes), "access_token_ttl": api.access_token_ttl,
                                   "dpop_only": api.dpop_only, "resource_server": api.resource_server}))
        else:
            click.echo(f"{api.identifier}  {api.name}  scopes: {' '.join(api.scopes) or '-'}")


@apis.command("delete")
@click.argument("identifier")
def apis_delete(identifier):
    """Its roles, assignments and client allowances go with it; refresh tokens for it stop working."""
    must_have_changed("api.deleted", lambda svc: svc.apis.delete_api(identifier), f"no API {identifier}",
                      api=identifier)
    click.echo(f"deleted API {identifier}")


@apis.command("allow")
@click.argument("identifier")
@click.option("--client", "client_id", required=True)
@click.option("--scope", "scopes", multiple=True, help="only these scopes (default: every scope of the API)")
@click.option("--default", "is_default", is_flag=True, help="the API this client gets without `resource`")
def apis_allow(identifier, client_id, scopes, is_default):
    change("api.client_allowed", lambda svc: svc.apis.allow(identifier, client_id, list(scopes) or None, is_default),
           client_id=client_id, api=identifier, scopes=list(scopes))
    click.echo(f"{client_id} may ask tokens for {identifier}")


# -- groups --------------------------------------------------------------------------------------
@click.group()
def groups():
    """Groups of users (and of groups) that roles are given to."""


@groups.command("create")
@click.argument("name")
def groups_create(name):
    change("group.created", lambda svc: svc.apis.create_group(name), group=name)
    click.echo(f"created group {name}")


@groups.command("list")
def groups_list():
    svc = load_services()
    after = ""
    while page := svc.apis.groups(after=after):
        for _, name in page:
            click.echo(name)
        after = page[-1][1]


@groups.command("delete")
@click.argument("name")
def groups_delete(name):
    must_have_changed("group.deleted", lambda svc: svc.apis.delete_group(name), f"no group {name}", group=name)
    click.echo(f"deleted group {name}")


@groups.command("add-member")
@click.argument("group")
@click.option("--email", default=None, help="a user")
@click.option("--group", "member_group", default=None, help="a group (nested)")
def groups_add_member(group, email, member_group):
    if (email is None) == (member_group is None):
        raise click.UsageError("give exactly one of --email or --group")

    def work(svc):
        user_id = user_by_email(svc, email).id if email else None
        svc.apis.add_member(group, user_id=user_id, member_group=member_group)
        return user_id
    change("group.member_added", work, group=group, member_group=member_group)
    click.echo(f"added {email or member_group} to {group}")


@groups.command("remove-member")
@click.argument("group")
@click.option("--email", required=True)
def groups_remove_member(group, email):
    def work(svc):
        return svc.apis.remove_member(group, user_id=user_by_email(svc, email).id)
    must_have_changed("group.member_removed", work, f"{email} is not a direct member of {group}", group=group)
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
    change("role.created", lambda svc: svc.apis.create_role(identifier, name, list(scopes), description),
           api=identifier, role=name)
    click.echo(f"created role {name} of {identifier}")


@roles.command("list")
@click.option("--api", "identifier", required=True)
def roles_list(identifier):
    for role in load_services().apis.roles(identifier):
        click.echo(f"{role.name}  {' '.join(role.scopes) or '-'}  {role.description or ''}")


@roles.command("delete")
@click.option("--api", "identifier", required=True)
@click.option("--name", required=True)
def roles_delete(identifier, name):
    change("role.deleted", lambda svc: svc.apis.delete_role(identifier, name), api=identifier, role=name)
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
    _holder(email, group)

    def work(svc):
        svc.apis.assign(identifier, name, user_id=user_by_email(svc, email).id if email else None, group=group)
    change("role.assigned", work, api=identifier, role=name, group=group)
    click.echo(f"gave {name} to {email or group}")


@roles.command("unassign")
@click.option("--api", "identifier", required=True)
@click.option("--name", required=True)
@click.option("--email", default=None)
@click.option("--group", default=None)
def roles_unassign(identifier, name, email, group):
    _holder(email, group)

    def work(svc):
        return svc.apis.unassign(identifier, name, user_id=user_by_email(svc, email).id if email else None,
                                 group=group)
    must_have_changed("role.unassigned", work, f"{email or group} does not hold {name}", api=identifier, role=name,
                      group=group)
    click.echo(f"took {name} from {email or group}")
