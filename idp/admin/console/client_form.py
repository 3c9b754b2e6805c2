"""The console's client form: the application type chosen first, with its defaults, then every field
the admin API and `idp clients create` accept (tests/admin/test_console_client_form.py compares them
with the admin API's fields, so the two cannot drift apart).

The form only reads what was typed and turns it into RFC 7591 metadata; ClientAdmin (the service
the admin API and the CLI call) checks it like a registration and names every wrong field. The
application type adds only what follows from it (OIDC Registration 2 `application_type`; RFC 8252
for native apps; a single-page app is a public client, RFC 9700 2.1.1 and the browser-based apps
BCP; a machine-to-machine client has no user: client credentials only, RFC 6749 4.4), and says so
per field when the form contradicts it.
"""

from __future__ import annotations

import dataclasses
import json

from idp.admin.console.form_model import FormField, lines
from idp.administration.client_policy import EXCHANGE_GRANT, EXCHANGE_FIELDS
from idp.apis.claim_mappings import mappings_as_lines, mappings_from_lines


def _(text: str) -> str:
    """Marks a label for the French catalogue (tests/test_i18n_brand.py); translated where shown."""
    return text


@dataclasses.dataclass(frozen=True)
class AppType:
    label: str
    hint: str
    application_type: str  # OIDC Registration 2
    auth_method: str
    grant_types: tuple[str, ...]
    scope: str


USER_SCOPE = "openid profile email offline_access"
APP_TYPES = {
    "web": AppType(_("Web application"), _("Runs on a server, which keeps a secret."),
                   "web", "client_secret_basic", ("authorization_code", "refresh_token"), USER_SCOPE),
    "spa": AppType(_("Single-page app"), _("Runs in the browser: no secret (a public client), PKCE; its origin may call the token endpoint."),
                   "web", "none", ("authorization_code", "refresh_token"), USER_SCOPE),
    "native": AppType(_("Native app"), _("A mobile or desktop app: no secret, PKCE, redirects to a loopback address (http://127.0.0.1:port/path) or its own scheme (com.example.app:/callback)."),
                      "native", "none", ("authorization_code", "refresh_token"), USER_SCOPE),
    "machine": AppType(_("Machine to machine"), _("A service with no user: client credentials only, no redirect URI, no openid or offline_access."),
                       "web", "client_secret_basic", ("client_credentials",), ""),
}
USER_ONLY_SCOPES = ("openid", "offline_access")  # what a client with no user signing in never gets

SECTIONS = [
    (_("The application"), [
        FormField("name", _("Name"), sets=("client_name",), maxlength=255),
        FormField("client_id", _("Client ID"), creating_only=True, maxlength=64,
                  hint=_("Optional: letters, digits and . _ ~ -; a random one otherwise.")),
        FormField("trusted", _("First-party application: skip the consent page"), "bool"),
        FormField("scope", _("Scopes"), maxlength=1024, hint=_("Separated by spaces.")),
    ]),
    (_("Sign-in and sign-out"), [
        FormField("redirect_uris", _("Redirect URIs"), "lines",
                  hint=_("One per line, compared exactly. Leave empty for a machine-to-machine client.")),
        FormField("post_logout_redirect_uris", _("Post-logout redirect URIs"), "lines",
                  hint=_("Where the application may send the user after signing out; one per line.")),
        FormField("backchannel_logout_uri", _("Back-channel logout URI"), maxlength=2048,
                  hint=_("Called by the server when the user signs out (OpenID Back-Channel Logout).")),
        FormField("backchannel_logout_session_required", _("The logout token carries the session (sid)"), "bool"),
        FormField("allowed_origins", _("Allowed origins"), "lines",
                  hint=_("Browser apps on these origins (https://app.example.com, one per line) may call the token, revocation and userinfo endpoints as this client, besides the origins of its redirect URIs.")),
        FormField("initiate_login_uri", _("Sign-in start URI"), maxlength=2048,
                  hint=_("Where a third party can start a sign-in at the application.")),
    ]),
    (_("Grants and authentication"), [
        FormField("grant_types", _("Grant types"), "choices", choices="grant_types",
                  hint=_("None checked: the defaults of the application type.")),
        FormField("token_endpoint_auth_method", _("Token endpoint authentication"), "choice",
                  choices="token_endpoint_auth_method", creating_only=True,
                  hint=_("Empty: the default of the application type. Cannot change once created.")),
        FormField("token_endpoint_auth_signing_alg", _("Client assertion algorithm"), "choice",
                  choices="token_endpoint_auth_signing_alg"),
        FormField("jwks_uri", _("JWK Set URL"), maxlength=2048,
                  hint=_("The application's public keys (private_key_jwt, signed requests).")),
        FormField("jwks", _("JWK Set"), "json", maxlength=65_536, hint=_("Or the public keys themselves, as JSON.")),
        FormField("require_pushed_authorization_requests", _("Require pushed authorization requests (PAR)"), "bool"),
        FormField("dpop_bound_access_tokens", _("Require DPoP-bound access tokens"), "bool"),
        FormField("require_signed_request_object", _("Require signed request objects"), "bool"),
        FormField("request_object_signing_alg", _("Request object algorithm"), "choice",
                  choices="request_object_signing_alg"),
    ]),
    (_("Tokens"), [
        FormField("subject_type", _("Subject type"), "choice", choices="subject_type",
                  hint=_("Pairwise: each application sees its own identifier for a user.")),
        FormField("sector_identifier_uri", _("Sector identifier URI"), maxlength=2048,
                  hint=_("For pairwise identifiers across several hosts: a JSON list of the redirect URIs.")),
        FormField("id_token_signed_response_alg", _("ID token signing algorithm"), "choice",
                  choices="id_token_signed_response_alg"),
        FormField("default_max_age", _("Maximum authentication age (seconds)"), "int", maxlength=12),
        FormField("require_auth_time", _("ID tokens always carry auth_time"), "bool"),
        FormField("default_acr_values", _("Default authentication levels"), "choices", choices="default_acr_values"),
        FormField("claim_mappings", _("Claims its ID tokens and userinfo carry"), "mappings", maxlength=16_384,
                  hint=_("One claim=source a line, optionally @scope (docs/claims.md): plan=app_metadata.plan")),
    ]),
    (_("Token exchange (RFC 8693)"), [
        FormField("token_exchange", _("May exchange users' tokens for tokens for other APIs"), "bool",
                  sets=(EXCHANGE_GRANT,)),
        FormField("exchange_impersonation", _("May impersonate users (an exchange without an actor token)"), "bool",
                  sets=(EXCHANGE_FIELDS[0],)),
        FormField("exchange_refresh_tokens", _("May get refresh tokens from an exchange (with offline_access)"),
                  "bool", sets=(EXCHANGE_FIELDS[1],)),
    ]),
    (_("About the application"), [
        FormField("client_uri", _("Home page"), maxlength=2048),
        FormField("logo_uri", _("Logo URL"), maxlength=2048),
        FormField("policy_uri", _("Privacy policy URL"), maxlength=2048),
        FormField("tos_uri", _("Terms of service URL"), maxlength=2048),
        FormField("contacts", _("Contacts"), "lines", maxlength=4096, hint=_("Email addresses, one per line.")),
        FormField("software_id", _("Software ID"), maxlength=255),
        FormField("software_version", _("Software version"), maxlength=255),
    ]),
]
APP_TYPE = FormField("app_type", _("Application type"), "choice", sets=("application_type",), choices="app_type",
                     optional_choice=False)
FIELDS = [APP_TYPE] + [f for _title, fields in SECTIONS for f in fields]
# Service fields no input holds, because the form derives them: response_types from the grant types
# (RFC 7591 2.1: code with authorization_code); application_type from the application type.
DERIVED = {"response_types": "grant_types"}
GRANT_CHOICES = ("authorization_code", "refresh_token", "client_credentials",
                 "urn:ietf:params:oauth:grant-type:device_code")


def kind_of(client) -> str:
    """The application type an existing client is (for its edit page)."""
    if client.client_metadata.get("application_type") == "native":
        return "native"
    if client.token_endpoint_auth_method == "none":
        return "spa"
    if set(client.grant_types) <= {"client_credentials", EXCHANGE_GRANT}:
        return "machine"
    return "web"


def initial_values(kind: str) -> dict:
    """A new client's form: the type's defaults."""
    app = APP_TYPES[kind]
    return {"app_type": kind, "scope": app.scope, "grant_types": list(app.grant_types)}


def values_of(client) -> dict:
    """An existing client's fields as the form shows them."""
    meta, values = client.client_metadata, {"app_type": kind_of(client), "name": client.name,
                                            "scope": client.scope, "trusted": client.trusted}
    values["grant_types"] = [g for g in client.grant_types if g != EXCHANGE_GRANT]
    values["token_endpoint_auth_method"] = client.token_endpoint_auth_method
    values["token_exchange"] = EXCHANGE_GRANT in client.grant_types
    values["exchange_impersonation"] = bool(meta.get(EXCHANGE_FIELDS[0]))
    values["exchange_refresh_tokens"] = bool(meta.get(EXCHANGE_FIELDS[1]))
    values["redirect_uris"] = "\n".join(client.redirect_uris)
    values["claim_mappings"] = mappings_as_lines(client.claim_mappings)  # its own column, not registration metadata
    for f in FIELDS:
        if f.name in values or f.service_fields[0] not in meta:
            continue
        value = meta[f.service_fields[0]]
        values[f.name] = (value if f.kind in ("bool", "choices") else "\n".join(value) if f.kind == "lines"
                          else json.dumps(value, indent=2) if f.kind == "json" else str(value))
    return values


def metadata_of(values: dict, creating: bool, current=None) -> tuple[dict, dict]:
    """(the metadata to send to ClientAdmin: all fields when creating, a merge patch of every field
    when editing — empty removes —, what the form itself finds wrong: form field -> why)."""
    kind = values.get("app_type") or "web"
    errors: dict[str, str] = {}
    if kind not in APP_TYPES:
        errors["app_type"] = _("choose one of the application types")
        kind = "web"
    app, data = APP_TYPES[kind], {}
    for f in FIELDS:
        if f.name in ("app_type", "token_exchange", "exchange_impersonation", "exchange_refresh_tokens") or (
                f.creating_only and not creating):
            continue
        value = _typed(f, values.get(f.name), errors)
        if value is not None or not creating:
            data[f.service_fields[0]] = value
    data["redirect_uris"] = data.get("redirect_uris") or []
    data["application_type"] = "native" if kind == "native" else ("web" if creating else None)
    grants = data.get("grant_types") or list(app.grant_types)
    exchange = bool(values.get("token_exchange"))
    data["grant_types"] = [g for g in grants if g != EXCHANGE_GRANT] + ([EXCHANGE_GRANT] if exchange else [])
    data["response_types"] = ["code"] if "authorization_code" in data["grant_types"] else []
    data[EXCHANGE_FIELDS[0]] = (exchange and values.get("exchange_impersonation")) or None
    data[EXCHANGE_FIELDS[1]] = (exchange and values.get("exchange_refresh_tokens")) or None
    data["trusted"] = bool(values.get("trusted"))
    data["scope"] = " ".join((values.get("scope") or "").split())
    if creating:
        data["token_endpoint_auth_method"] = data.get("token_endpoint_auth_method") or app.auth_method
    _check_type(kind, app, data, current, errors, creating)
    if creating:
        data = {k: v for k, v in data.items() if v is not None}
    return data, errors


def _typed(f: FormField, value, errors: dict):
    """The field's value as the service takes it, None for empty; a wrong one noted in errors."""
    if f.kind == "bool":
        return True if value else None
    if f.kind == "choices":
        return list(value) or None
    text = (value or "").strip()
    if not text:
        return None
    if f.kind == "lines":
        return lines(text)
    if f.kind == "mappings":
        return mappings_from_lines(text)  # each line checked by the service (a reserved claim refused there)
    if f.kind == "int":
        if not (text.isascii() and text.isdigit()):
            errors[f.name] = _("a whole number of seconds")
            return None
        return int(text)
    if f.kind == "json":
        try:
            return json.loads(text)
        except ValueError:
            errors[f.name] = _("not JSON: paste the JWK Set as it is")
            return None
    return text


def _check_type(kind: str, app: AppType, data: dict, current, errors: dict, creating: bool) -> None:
    """What the application type rules out, each on the field that contradicts it (the user-only
    scopes only for a new client: an older one that has them keeps them, harmless without a user)."""
    method = data.get("token_endpoint_auth_method") or (current.token_endpoint_auth_method if current else "")
    if app.auth_method == "none" and method != "none":
        errors["token_endpoint_auth_method"] = _("this application type has no secret: none")
    if kind != "machine":
        return
    if data.get("redirect_uris"):
        errors["redirect_uris"] = _("a machine-to-machine client has no redirect URI")
    if set(data["grant_types"]) - {"client_credentials", EXCHANGE_GRANT}:
        errors["grant_types"] = _("a machine-to-machine client uses client_credentials only")
    if creating and set(data["scope"].split()) & set(USER_ONLY_SCOPES):
        errors["scope"] = _("a machine-to-machine client gets no openid or offline_access (no user signs in)")
