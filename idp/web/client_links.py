"""What the login and consent pages show of a relying party's registered URLs: its logo_uri,
policy_uri and tos_uri (OIDC Registration 2: "SHOULD display ... to the End-User").

The registration policy already refuses anything but strict http(s) URLs
(idp/administration/client_policy.py); these checks run again when a page is drawn, for clients
stored before that policy or written to the database by other means. A page gets the URL parsed
and written again (idp/plumbing/web_urls.py), and the CSP gets only the logo's origin, so a
`javascript:` link, a host carrying a CSP directive or a quote never reaches the page or a header.
"""

from __future__ import annotations

from idp.plumbing.context import services
from idp.plumbing.headers import allow_images_from
from idp.plumbing.web_urls import parse_web_url
from idp.web.blueprint import bp

LINK_FIELDS = ("policy_uri", "tos_uri")


def _registered_url(client, field: str):
    value = (client.client_metadata or {}).get(field) if client is not None else None
    try:
        return parse_web_url(value)
    except ValueError:
        return None


@bp.app_template_global()
def client_logo(client) -> str | None:
    """The client's logo_uri when it is an https URL (or loopback http outside production); the
    page's CSP then allows exactly that origin for images, nothing else of the client's."""
    url = _registered_url(client, "logo_uri")
    if url is None or not (url.scheme == "https" or (url.loopback and not services().config.production)):
        return None
    allow_images_from(url.url)
    return url.url


@bp.app_template_global()
def client_link(client, field: str) -> str | None:
    """The client's policy_uri or tos_uri as an http(s) URL to link to; None (no link) otherwise."""
    url = _registered_url(client, field) if field in LINK_FIELDS else None
    return url.url if url is not None else None
