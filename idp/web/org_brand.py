"""The sign-in pages in an organization's colours (issue 33): when the page works for an authorization
request that names an organization the client may sign users in to, `brand` (the templates' name,
logo and stylesheet) is the organization's (idp/organizations/branding.py); the logo's origin is
allowed in this response's CSP img-src as a parsed, re-serialised origin, nothing else."""

from __future__ import annotations

from flask import g, request, url_for
from werkzeug.exceptions import HTTPException

from idp.organizations.branding import for_request
from idp.plumbing.context import services
from idp.plumbing.headers import allow_images_from
from idp.signin import interactions
from idp.web.blueprint import bp


def interaction_of_request() -> str | None:
    """The page's interaction id, from the query or the form. This runs while any page is drawn, the
    error page of a refused body too (413, a malformed form): reading the form again would raise
    again, so such a request simply has no organization's brand."""
    if request.method not in ("GET", "POST"):
        return None
    try:
        return request.values.get("interaction")
    except HTTPException:
        return None


@bp.context_processor
def organization_brand() -> dict:
    if "org_brand" not in g:
        g.org_brand = None
        interaction_id = interaction_of_request()
        interaction = interactions.load(interaction_id) if interaction_id else None
        if interaction:
            g.org_brand = for_request(services(), interaction.get("params") or {})
    branding = g.org_brand
    if branding is None:
        return {}
    config = services().config
    logo = branding.logo_url if branding.logo_url and allow_images_from(branding.logo_url) else None
    return {"brand": {"name": branding.name, "logo_url": logo, "registration": config.allow_registration,
                      "stylesheet": url_for("web.brand_css", org=branding.organization_id)
                      if branding.primary_color else None}}
