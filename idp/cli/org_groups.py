"""`idp orgs groups`: an organization's groups (issue 33), whose roles count only in its tokens;
the rules are idp/organizations/groups.py's, as the admin API's."""

from __future__ import annotations

import click

from idp.cli.apis import every
from idp.cli.orgs import administering, orgs, parse_role, user_id_of


@orgs.group("groups")
def groups():
    """An organization's groups: their members and the roles they give in the organization."""


def _groups(svc):
    from idp.organizations.groups import OrganizationGroups

    return OrganizationGroups(svc)


@groups.command("create")
@click.argument("organization")
@click.argument("name")
def groups_create(organization, name):
    """Create a group of the organization."""
    with administering() as (_, svc, actor):
        _groups(svc).create(actor, organization, {"name": name})
    click.echo(f"created group {name} in {organization}")


@groups.command("list")
@click.argument("organization")
def groups_list(organization):
    """The organization's groups, by name."""
    with administering() as (_, svc, actor):
        for group in every(lambda **page: _groups(svc).list(actor, organization, **page)):
            click.echo(group.name)


@groups.command("delete")
@click.argument("organization")
@click.argument("group")
def groups_delete(organization, group):
    """Delete one of the organization's groups."""
    with administering() as (_, svc, actor):
        _groups(svc).delete(actor, organization, group)
    click.echo(f"deleted group {group}")


@groups.command("add-member")
@click.argument("organization")
@click.argument("group")
@click.argument("user")
def groups_add_member(organization, group, user):
    """USER (an email or id) must be a member of ORGANIZATION."""
    with administering() as (_, svc, actor):
        _groups(svc).add_member(actor, organization, group, user_id_of(svc, user))
    click.echo(f"{user} is in {group}")


@groups.command("remove-member")
@click.argument("organization")
@click.argument("group")
@click.argument("user")
def groups_remove_member(organization, group, user):
    """Take a member out of one of the organization's groups."""
    with administering() as (_, svc, actor):
        _groups(svc).remove_member(actor, organization, group, user_id_of(svc, user))
    click.echo(f"{user} is no longer in {group}")


@groups.command("set-roles")
@click.argument("organization")
@click.argument("group")
@click.argument("role", nargs=-1)
def groups_set_roles(organization, group, role):
    """Replaces GROUP's roles: each ROLE API_IDENTIFIER#ROLE (none: no roles)."""
    wanted = [parse_role(r) for r in role]
    with administering() as (_, svc, actor):
        held = _groups(svc).set_roles(actor, organization, group, wanted)
    click.echo(f"{group}: {' '.join(f'{a}#{n}' for a, n in held) or 'no roles'}")
