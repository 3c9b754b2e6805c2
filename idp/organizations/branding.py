"""An organization's branding on the sign-in pages (issue 33): its display name, logo and primary
colour replace the deployment's when the authorization request names the organization
(`organization=`) and the client may sign users in to it (usage allow/require, and the organization
among its allowed ones when the client has a list).

What is stored was validated on the way in (admin.check_fields); it is checked again here on the
way out, as the client logos are (idp/web/client_links.py), so a row written by other means cannot
reach a page or a header: the logo is an https URL re-serialised from its parsed parts (its origin,
and only that, joins the page's CSP img-src), the colour a strict #rrggbb.
"""

from __future__ import annotations

import dataclasses

from idp.organizations.admin import COLOR
from idp.organizations.signin import PARAMETER, find
from idp.organizations.tenancy import client_settings
from idp.plumbing.web_urls import parse_web_url
from idp.store.organizations import OrganizationView


@dataclasses.dataclass(frozen=True)
class Branding:
    organization_id: str
    name: str
    logo_url: str | None  # https, re-serialised
    primary_color: str | None  # #rrggbb, lower case


def safe_logo(value) -> str | None:
    try:
        url = parse_web_url(value)
    except ValueError:
        return None
    return url.url if url.scheme == "https" else None


def safe_color(value) -> str | None:
    return value.lower() if isinstance(value, str) and COLOR.fullmatch(value) else None


def branding_of(org: OrganizationView) -> Branding:
    return Branding(org.id, org.display_name or org.name, safe_logo(org.logo_url) if org.logo_url else None,
                    safe_color(org.primary_color))


def for_request(services, params: dict) -> Branding | None:
    """The branding of the organization an authorization request names, or None (the deployment's)."""
    asked = params.get(PARAMETER)
    client_id = params.get("client_id")
    if not asked or not isinstance(client_id, str):
        return None
    org = find(services, asked)
    if org is None:
        return None
    settings = client_settings(services, client_id)
    if settings["usage"] == "none" or (settings["restricted"] and org.id not in settings["allowed"]):
        return None
    return branding_of(org)


def primary_color(services, organization_id) -> str | None:
    """/brand.css?org=<id>: the organization's colour, or None (the deployment's)."""
    if not isinstance(organization_id, str) or not organization_id or len(organization_id) > 36:
        return None
    org = services.organizations.get(organization_id)
    return safe_color(org.primary_color) if org else None
