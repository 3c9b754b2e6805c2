"""The fields of an organization's branding and enterprise-connection forms in the console (issue 33),
and what the organization's page shows of them. Only what was typed is read here: the rules
(colours, https logo and discovery URLs, the write-only client secret) are the services' that the
admin API and `idp orgs` call (idp/organizations/admin.py check_fields, connections.py), each refusal
mapped onto its input with form_model.field_errors.

Kept apart from the routes (organization_sso.py) so that the organization's page
(organizations.py) lists the connections without importing the routes that import it."""

from __future__ import annotations

from idp.admin.console.form_model import FormField, submitted_values
from idp.admin.console.pages import PAGE_SIZE, cursor_from_request, cursor_link
from idp.admin.console.registry import keyset_page
from idp.organizations.connections import KINDS, MAX_SECRET, ConnectionAdmin
from idp.plumbing.context import services


def _(text: str) -> str:
    """Marks a label for the French catalogue (tests/test_i18n_brand.py); translated where shown."""
    return text


BRANDING = "branding"
BRANDING_FIELDS = (
    FormField("display_name", _("Name on the sign-in pages"), sets=("branding.display_name",), maxlength=255,
              hint=_("Empty: the organization's name.")),
    FormField("logo_url", _("Logo URL"), sets=("branding.logo_url",), maxlength=2048,
              hint=_("An https URL; empty: the deployment's logo.")),
    FormField("primary_color", _("Primary colour"), sets=("branding.primary_color",), maxlength=7,
              hint=_("#rrggbb; empty: the deployment's colour.")),
    FormField("background_color", _("Background colour"), sets=("branding.background_color",), maxlength=7,
              hint=_("#rrggbb; empty: the deployment's background.")),
)
SECRET = FormField("client_secret", _("Client secret"), maxlength=MAX_SECRET)  # a password input, never echoed
CONNECTION_FIELDS = (
    FormField("kind", _("Kind"), "choice", choices="kinds", creating_only=True, optional_choice=False,
              hint=_("oidc: any OpenID Connect issuer, by its discovery URL.")),
    FormField("label", _("Label"), maxlength=255, hint=_("What the sign-in button says; empty: the provider's name.")),
    FormField("client_id", _("Client ID"), maxlength=255, hint=_("Issued by the provider to this organization.")),
    FormField("discovery_url", _("Discovery URL"), maxlength=2048,
              hint=_("For kind oidc only: https://issuer/.well-known/openid-configuration")),
    SECRET,
)
KIND_LABELS = {"oidc": "OpenID Connect (oidc)", "google": "Google", "github": "GitHub", "linkedin": "LinkedIn"}


def branding_values(org) -> dict:
    return {f.name: getattr(org, f.name) or "" for f in BRANDING_FIELDS}


def branding_changes(values: dict) -> dict:
    """An organization merge patch: an empty input clears (null), as the admin API's null does."""
    return {BRANDING: {f.name: values[f.name].strip() or None for f in BRANDING_FIELDS}}


def connection_input(editing: bool) -> tuple[dict, dict]:
    """(what is shown again, what goes to the service). The secret is never shown again; when editing,
    an empty secret or discovery URL keeps the stored one; when creating, an empty label is the provider's."""
    fields = [f for f in CONNECTION_FIELDS if not (editing and f.creating_only)]
    typed = submitted_values(fields)
    given = dict(typed)
    if not given.get("label", "").strip() and not editing:
        given.pop("label")  # the provider's name
    if not given.get("discovery_url", "").strip():
        given.pop("discovery_url")
    if editing and not given["client_secret"]:
        given.pop("client_secret")  # rotated only by typing a new one
    typed.pop("client_secret")
    return typed, given


def connections_section(actor, org) -> dict:
    """The organization page's part: its connections (as the admin API documents them: never a
    secret), a keyset page, and the forms' fields."""
    admin = ConnectionAdmin(services())
    after = cursor_from_request("connections_after")
    page = keyset_page(lambda **kw: admin.list(actor, org.id, **kw), after, PAGE_SIZE)
    return {"connections": [admin.document(c) for c in page.items], "connections_next": cursor_link(page.next_key),
            "connections_first": after is None, "branding_fields": BRANDING_FIELDS,
            "branding": branding_values(org), "connection_fields": CONNECTION_FIELDS, "kinds": KINDS,
            "kind_labels": KIND_LABELS}
