"""Who may open which organization page of the console (issue 33), and what those pages share.

A deployment administrator opens every page. A member holding `org:admin` in an organization, who is
not a deployment administrator, enters the console too (the same OpenID Connect sign-in, second
factor included) and opens ONLY the pages of the organizations they administer: any other console
URL answers 404, as if it did not exist. Their Actor is limited to the organization the URL names, so
the service layer (idp/organizations) applies the same tenant rules as to an organization-limited
admin API client: no creating or deleting organizations, no slug change, users added only from the
organization's verified domains.

A refusal of the services is shown on the page the form was on, each reason under its field.
"""

from __future__ import annotations

import contextlib

from flask import abort, g, request

from idp.administration import Actor, Duplicate, Invalid, NotFound, PreconditionFailed
from idp.administration.apis import storable
from idp.administration.errors import Conflict
from idp.i18n import gettext as _
from idp.organizations.admin import OrganizationAdmin
from idp.organizations.domains import DomainAdmin
from idp.organizations.groups import OrganizationGroups
from idp.organizations.invitations import InvitationAdmin
from idp.plumbing.context import services
from idp.store.organizations import ORG_ADMIN

# What a delegated administrator may open (with an organization of theirs in the path).
DELEGATED = {"admin.logout", "admin.organizations"}
DEPLOYMENT_ONLY = {"admin.organization_create", "admin.organization_delete"}


def administered(user_id: str) -> set[str]:
    """The ids of the organizations the user administers (holds org:admin in)."""
    return {org.id for org in services().organizations.administered_by(user_id)}


def may_open(organizations: set[str]) -> bool:
    """May a delegated administrator of `organizations` open this request's page?"""
    endpoint = request.endpoint or ""
    if endpoint in DEPLOYMENT_ONLY or not (endpoint in DELEGATED or endpoint.startswith("admin.organization_")):
        return False
    named = (request.view_args or {}).get("organization_id")
    if named is None:
        return endpoint in DELEGATED
    return resolved(named) in organizations


def resolved(named: str) -> str | None:
    """The id of the organization a path names (its id or slug), None when there is none."""
    if not (isinstance(named, str) and len(named) <= 64 and storable(named)):
        return None
    orgs = services().organizations
    found = orgs.get(named) or orgs.by_slug(named)
    return found.id if found else None


def require_delegation() -> None:
    """Called by the console's door for a signed-in user who is no deployment administrator: 404 for
    any page outside their organizations."""
    if not may_open(g.console_orgs):
        abort(404)


def deployment_admin() -> bool:
    return g.get("console_orgs") is None


def console_actor(organization_id: str | None = None) -> Actor:
    """The administrator as the services' Actor: a delegated one is limited to the organization."""
    if deployment_admin():
        return Actor.user(g.admin.id)
    return Actor("user", g.admin.id, organization=resolved(organization_id) if organization_id else None)


def organizations() -> OrganizationAdmin:
    return OrganizationAdmin(services())


def domains() -> DomainAdmin:
    return DomainAdmin(services())


def invitations() -> InvitationAdmin:
    return InvitationAdmin(services())


def groups() -> OrganizationGroups:
    return OrganizationGroups(services())


class FieldErrors(Exception):
    """A form's refusal: field name (as the form names it) -> reason."""

    def __init__(self, errors: dict, status: int = 400):
        super().__init__(errors)
        self.errors, self.status = errors, status


@contextlib.contextmanager
def field_errors(fields: dict[str, str], default: str):
    """The services' refusals as FieldErrors, their fields renamed to the form's (`fields`: service's
    name -> form's name; any other onto `default`). A version that moved on: 409."""
    def named(errors: dict) -> dict:
        out: dict[str, str] = {}
        for field, why in errors.items():
            key = fields.get(field.split(".")[0], default)
            out[key] = f"{out[key]}; {why}" if key in out else str(why)
        return out
    try:
        yield
    except Invalid as exc:
        raise FieldErrors(named(exc.errors)) from None
    except Duplicate as exc:
        raise FieldErrors(named({exc.field: str(exc)})) from None
    except NotFound as exc:
        raise FieldErrors({fields.get(exc.kind, default): str(exc)}) from None
    except Conflict as exc:
        raise FieldErrors({default: str(exc)}, 409) from None
    except PreconditionFailed:
        raise FieldErrors({default: _("Someone changed this meanwhile: nothing was saved. Look again, then retry.")},
                          409) from None


def roles_from_text(text: str, field: str) -> list[dict]:
    """One role a line: org:admin, or API_IDENTIFIER#ROLE (as `idp orgs roles set` takes them)."""
    roles, bad = [], []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        api, sep, name = line.rpartition("#")
        if line == ORG_ADMIN:
            roles.append({"api": None, "name": ORG_ADMIN})
        elif sep and api and name:
            roles.append({"api": api, "name": name})
        else:
            bad.append(line[:80])
    if bad:
        raise FieldErrors({field: _("Not a role (org:admin or API_IDENTIFIER#ROLE): %(lines)s",
                                    lines=", ".join(bad))})
    return roles


def roles_text(roles) -> str:
    return "\n".join(name if api is None else f"{api}#{name}" for api, name in roles)
