"""`idp orgs`: organizations (issue 33), their members and the members' roles in them, and the
clients' organization settings (operator only). The rules are idp/organizations'."""

from __future__ import annotations

import contextlib
import json

import click

from idp.cli.apis import every
from idp.cli.paging import or_none
from idp.cli.common import load_services, refusals, request_like_context


@contextlib.contextmanager
def administering():
    """(OrganizationAdmin, services, the operator's Actor), refusals as clear CLI errors."""
    from idp.administration import Actor
    from idp.organizations.admin import OrganizationAdmin

    svc = load_services()
    with request_like_context(svc), refusals():
        yield OrganizationAdmin(svc), svc, Actor.operator()


def user_id_of(svc, user: str) -> str:
    """A user named by email or id."""
    found = svc.users.by_email(user) if "@" in user else svc.users.by_id(user)
    if found is None:
        raise click.ClickException(f"no user {user}")
    return found.id


def parse_role(value: str) -> dict:
    """org:admin, or API_IDENTIFIER#ROLE (an API identifier has no fragment)."""
    if value == "org:admin":
        return {"api": None, "name": value}
    api, sep, name = value.rpartition("#")
    if not sep or not api or not name:
        raise click.UsageError(f"{value}: a role is org:admin or API_IDENTIFIER#ROLE")
    return {"api": api, "name": name}


def role_text(role: tuple) -> str:
    return role[1] if role[0] is None else f"{role[0]}#{role[1]}"


@click.group()
def orgs():
    """Organizations: customer companies, their members and the roles they hold in them."""


@orgs.command("create")
@click.option("--slug", required=True, help="lowercase letters, digits, inner hyphens")
@click.option("--name", required=True)
@click.option("--logo-url", default=None)
@click.option("--primary-color", default=None, help="#rrggbb")
@click.option("--background-color", default=None, help="#rrggbb")
def orgs_create(slug, name, logo_url, primary_color, background_color):
    """Create an organization."""
    branding = {k: v for k, v in (("logo_url", logo_url), ("primary_color", primary_color),
                                  ("background_color", background_color)) if v is not None}
    with administering() as (admin, _, actor):
        org = admin.create(actor, {"slug": slug, "name": name, "branding": branding})
    click.echo(f"created organization {org.slug}  id {org.id}")


@orgs.command("list")
@click.option("--json", "as_json", is_flag=True)
def orgs_list(as_json):
    """Organizations: slug, id, name."""
    from idp.organizations.admin import organization_document

    with administering() as (admin, _, actor):
        for org in or_none(every(lambda **page: admin.list(actor, **page)), "No organizations.", err=as_json):
            click.echo(json.dumps(organization_document(org)) if as_json else f"{org.slug}  {org.id}  {org.name}")


@orgs.command("show")
@click.argument("organization")
def orgs_show(organization):
    """ORGANIZATION: its id or slug."""
    from idp.organizations.admin import organization_document

    with administering() as (admin, _, actor):
        click.echo(json.dumps(organization_document(admin.get(actor, organization)), indent=2))


@orgs.command("delete")
@click.argument("organization")
def orgs_delete(organization):
    """With its memberships and roles; its members' refresh tokens for it stop working."""
    with administering() as (admin, _, actor):
        admin.delete(actor, organization)
    click.echo(f"deleted organization {organization}")


@orgs.group("members")
def members():
    """An organization's members."""


@members.command("add")
@click.argument("organization")
@click.argument("user")
def members_add(organization, user):
    """USER: an email or a user id."""
    with administering() as (admin, svc, actor):
        admin.add_member(actor, organization, user_id_of(svc, user))
    click.echo(f"{user} is a member of {organization}")


@members.command("remove")
@click.argument("organization")
@click.argument("user")
def members_remove(organization, user):
    """Remove a member from an organization."""
    with administering() as (admin, svc, actor):
        admin.remove_member(actor, organization, user_id_of(svc, user))
    click.echo(f"{user} is no longer a member of {organization}")


@members.command("list")
@click.argument("organization")
@click.option("--json", "as_json", is_flag=True)
def members_list(organization, as_json):
    """An organization's members and their roles."""
    from idp.organizations.admin import member_document

    with administering() as (admin, _, actor):
        for member in or_none(every(lambda **page: admin.members(actor, organization, **page)), "No members.",
                              err=as_json):
            click.echo(json.dumps(member_document(member)) if as_json else
                       f"{member.user_id}  {member.email}  {' '.join(map(role_text, member.roles)) or '-'}")


@orgs.group("roles")
def roles():
    """A member's roles in an organization."""


@roles.command("set")
@click.argument("organization")
@click.argument("user")
@click.argument("role", nargs=-1)
def roles_set(organization, user, role):
    """Replaces USER's roles in ORGANIZATION: each ROLE org:admin or API_IDENTIFIER#ROLE (none: no roles)."""
    wanted = [parse_role(r) for r in role]
    with administering() as (admin, svc, actor):
        member = admin.set_roles(actor, organization, user_id_of(svc, user), wanted)
    click.echo(f"{user} in {organization}: {' '.join(map(role_text, member.roles)) or 'no roles'}")


@roles.command("show")
@click.argument("organization")
@click.argument("user")
def roles_show(organization, user):
    """A member's roles in an organization."""
    with administering() as (admin, svc, actor):
        member = admin.member(actor, organization, user_id_of(svc, user))
    for role in member.roles:
        click.echo(role_text(role))


@orgs.command("client")
@click.argument("client_id")
@click.option("--usage", type=click.Choice(["none", "allow", "require"]), default=None,
              help="whether its authorization requests name an organization")
@click.option("--allow", "allowed", multiple=True, help="an organization it may sign users in to (repeat)")
@click.option("--any-organization", is_flag=True, help="lift the --allow list")
@click.option("--json", "as_json", is_flag=True)
def orgs_client(client_id, usage, allowed, any_organization, as_json):
    """A client's organization settings (operators only: never its registration metadata)."""
    from idp.organizations.clients import ClientOrganizationAdmin, settings_document

    if allowed and any_organization:
        raise click.UsageError("--allow and --any-organization exclude each other")
    with administering() as (_, svc, actor):
        admin = ClientOrganizationAdmin(svc)
        given = list(allowed) if allowed else ([] if any_organization else None)
        settings = admin.configure(actor, client_id, usage=usage, allowed=given) \
            if usage is not None or given is not None else admin.get(actor, client_id)
    document = settings_document(settings)
    click.echo(json.dumps(document) if as_json else "\n".join(f"{k}  {v}" for k, v in document.items()))
