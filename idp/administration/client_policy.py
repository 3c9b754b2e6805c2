"""Client metadata policy: what a client may register, checked in one place for dynamic
registration (RFC 7591 2, RFC 7592), the admin API and the admin CLI.

authlib's claim classes check the standard fields (RFC 7591 2, OpenID Connect
Registration 2, RP-Initiated Logout 3.1) against the server's metadata; the policy
here adds what they leave to the server:
* redirect URIs (and post-logout ones): absolute, no fragment, https except loopback
  http, compared exactly later (RFC 9700 2.1) -> invalid_redirect_uri;
* grant and response types consistent with each other (RFC 7591 2.1) and with the
  authentication method; `jwks` xor `jwks_uri`, public keys only; private_key_jwt needs one;
* every other URL (RFC 7591 2, OIDC Registration 2, Back-Channel Logout 2.2): logo_uri,
  client_uri, policy_uri, tos_uri, initiate_login_uri, and those the server itself calls
  (jwks_uri, backchannel_logout_uri, sector_identifier_uri; the outbound guard checks addresses
  again at call time): an absolute URL with a strict host (idp/plumbing/web_urls.py), https
  except loopback http. authlib only checks that a scheme and a host exist, so `javascript:`
  links and hosts carrying `;` and CSP directives would pass it;
* pairwise clients: one sector (a sector_identifier_uri listing the redirect URIs, or one host);
* features we do not implement (encryption, signed userinfo, request_uris) are refused,
  not silently ignored.

Every field checked on its own (types, URIs, each claim) is reported, so an operator sees
all the wrong fields at once; the checks across fields then report the first mismatch.
Registration answers the first problem as its OAuth error (idp/oauth/client_metadata.py).
"""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import urlsplit

from authlib.oauth2.claims import BaseClaims
from authlib.oauth2.rfc7591 import ClientMetadataClaims as OAuthClaims
from authlib.oidc.registration import ClientMetadataClaims as OIDCClaims
from authlib.oidc.rpinitiated import ClientMetadataClaims as LogoutClaims
from joserfc.errors import ClaimError, JoseError
from joserfc.jwk import KeySet

from idp.plumbing.json_input import has_nul
from idp.plumbing.origins import allowed_origins_problem
from idp.plumbing.web_urls import MAX_URL_LENGTH, URI_TEXT, parse_web_url
from idp.store.clients import ADMIN_SCOPES, INTERNAL_FIELDS

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"  # RFC 8693
# What only an operator gives a client (the admin API, console or CLI), never dynamic registration:
# exchanging tokens, impersonating users without an actor token, refresh tokens from an exchange.
EXCHANGE_FIELDS = ("token_exchange_impersonation", "token_exchange_refresh_tokens")
UNSUPPORTED = ("id_token_encrypted_response_alg", "id_token_encrypted_response_enc",
               "userinfo_signed_response_alg", "userinfo_encrypted_response_alg",
               "userinfo_encrypted_response_enc", "request_object_encryption_alg",
               "request_object_encryption_enc", "request_uris", "software_statement")
REDIRECT_GRANTS = ("authorization_code",)
REDIRECT_FIELDS = ("redirect_uris", "post_logout_redirect_uris")
# Every other URI-valued field we accept (RFC 7591 2, OIDC Registration 2, Back-Channel Logout 2.2);
# request_uris is refused (UNSUPPORTED), frontchannel_logout_uri is not a field we register.
URL_FIELDS = ("client_uri", "logo_uri", "tos_uri", "policy_uri", "initiate_login_uri", "jwks_uri",
              "sector_identifier_uri", "backchannel_logout_uri")
URL_RULE = "an absolute URL with a valid host, https (http only on loopback)"
REDIRECT_RULE = "absolute, no fragment, a valid host, https except loopback http"
NATIVE_REDIRECT_RULE = REDIRECT_RULE + ", or a private-use scheme like com.example.app:/callback (RFC 8252 7.1)"
PRIVATE_USE_SCHEME = re.compile(r"([a-z][a-z0-9+-]*(?:\.[a-z0-9+-]+)+):/")  # reverse domain name, then a path
# JSON types of the fields we accept (RFC 7591 2, OIDC Registration 2): checked before anything reads them.
STRING_FIELDS = ("client_name", "client_uri", "logo_uri", "scope", "tos_uri", "policy_uri", "jwks_uri", "software_id",
                 "software_version", "token_endpoint_auth_method", "sector_identifier_uri", "subject_type",
                 "id_token_signed_response_alg", "token_endpoint_auth_signing_alg", "request_object_signing_alg",
                 "backchannel_logout_uri", "application_type", "initiate_login_uri")
STRING_ARRAY_FIELDS = ("grant_types", "response_types", "contacts", "default_acr_values")
BOOLEAN_FIELDS = ("backchannel_logout_session_required", "require_pushed_authorization_requests",
                  "dpop_bound_access_tokens", "require_auth_time", "require_signed_request_object",
                  *EXCHANGE_FIELDS)
MAX_NAME = 255  # the clients.name column
APPLICATION_TYPES = ("web", "native")  # OIDC Registration 2: application_type
# The fields whose values come from a fixed set: the server metadata (discovery) member listing it, or
# the set itself. A refusal names the allowed values (the admin API's 400 lists them: RFC 9457 3.2).
ENUMERATED = {"grant_types": "grant_types_supported", "response_types": "response_types_supported",
              "token_endpoint_auth_method": "token_endpoint_auth_methods_supported",
              "subject_type": "subject_types_supported",
              "id_token_signed_response_alg": "id_token_signing_alg_values_supported",
              "token_endpoint_auth_signing_alg": "token_endpoint_auth_signing_alg_values_supported",
              "request_object_signing_alg": "request_object_signing_alg_values_supported",
              "default_acr_values": "acr_values_supported", "application_type": APPLICATION_TYPES}


@dataclasses.dataclass(frozen=True)
class MetadataProblem:
    field: str
    detail: str
    redirect: bool = False  # RFC 7591 3.2.2: invalid_redirect_uri rather than invalid_client_metadata
    allowed: tuple[str, ...] = ()  # the values the field may take, when they are a fixed set

    @property
    def error(self) -> str:
        return "invalid_redirect_uri" if self.redirect else "invalid_client_metadata"


class InvalidMetadata(ValueError):
    """The metadata is refused; problems lists each wrong field (at least one)."""

    def __init__(self, problems: list[MetadataProblem]):
        super().__init__("; ".join(f"{p.field}: {p.detail}" for p in problems))
        self.problems = problems


def refuse(field: str, detail: str, redirect: bool = False):
    raise InvalidMetadata([MetadataProblem(field, detail, redirect)])


class FlowClaims(BaseClaims):
    """Metadata of the flows in idp/ that authlib has no claim class for."""

    REGISTERED_CLAIMS = ["backchannel_logout_uri", "backchannel_logout_session_required",
                         "require_pushed_authorization_requests", "dpop_bound_access_tokens",
                         "require_signed_request_object",  # RFC 9101 10.5
                         "allowed_origins",  # CORS for this client beyond its redirect URIs' origins (issue 30, 8)
                         *EXCHANGE_FIELDS]  # RFC 8693, operator-only


CLAIM_CLASSES = [OAuthClaims, OIDCClaims, LogoutClaims, FlowClaims]


def url_problem(uri, fragment: bool = True) -> str | None:
    """What is wrong with a registered URL, or None: absolute, a strict host, https except loopback
    http (RFC 8252 7.3, RFC 9700 2.6); a redirect URI has no fragment (RFC 6749 3.1.2)."""
    try:
        url = parse_web_url(uri)
    except ValueError as exc:
        return str(exc)
    if url.scheme == "http" and not url.loopback:
        return "http only on loopback"
    if not fragment and "#" in uri:
        return "a fragment is not allowed"
    return None


def redirect_problem(uri) -> str | None:
    return url_problem(uri, fragment=False)


def native_redirect_problem(uri) -> str | None:
    """A native app's redirect URI (OIDC Registration 2 application_type native, RFC 8252 7): a web
    one as any client's, or a private-use URI scheme in reverse domain order (RFC 8252 7.1,
    `com.example.app:/callback`): the dot rules out javascript:, data: and every other
    scheme a browser would act on itself."""
    if isinstance(uri, str) and (scheme := PRIVATE_USE_SCHEME.match(uri)) and scheme.group(1) not in ("http", "https"):
        if len(uri) > MAX_URL_LENGTH or not URI_TEXT.fullmatch(uri):
            return "characters a URI may not hold (RFC 3986 2)"
        return "a fragment is not allowed" if "#" in uri else None
    return redirect_problem(uri)


def validate(data: dict, server_metadata: dict, outbound=None, operator: bool = False, current=None) -> dict:
    """The metadata to register, or InvalidMetadata naming what is wrong (RFC 7591 3.2.2).
    Only an operator (operator=True: `idp clients create`, or the administration layer, which
    checks who asks itself) may give a client the admin API's scopes or token exchange; `current`:
    the client an RFC 7592 update replaces, which keeps what an operator gave it."""
    if not isinstance(data, dict):
        refuse("body", "the body must be a JSON object")
    problems = [] if operator else admin_scope_problems(data) + exchange_problems(data, current)
    if not operator and "claim_mappings" in data:  # issue 35: what a token says is the operator's choice
        problems.append(MetadataProblem("claim_mappings", "claim_mappings is set by an administrator only"))
    problems += field_problems(data)
    wrong = {p.field for p in problems}
    clean = {k: v for k, v in data.items() if k not in wrong}
    # A native app's private-use scheme URIs, checked above, have no host for authlib to find: they
    # skip its check and are put back (RFC 8252 7.1).
    private = {name: clean[name] for name in REDIRECT_FIELDS if clean.get("application_type") == "native"
               and isinstance(clean.get(name), list) and any(PRIVATE_USE_SCHEME.match(u) for u in clean[name])}
    clean.update({name: [u for u in uris if not PRIVATE_USE_SCHEME.match(u)] for name, uris in private.items()})
    metadata = {}
    for cls in CLAIM_CLASSES:
        metadata.update(registered_claims(cls, clean, server_metadata, problems))
    metadata.update({name: list(uris) for name, uris in private.items()})
    if problems:
        raise InvalidMetadata(problems)
    metadata = apply_policy(metadata)
    if metadata.get("subject_type") == "pairwise":
        check_sector(metadata, outbound)
    return metadata


def admin_scope_problems(data: dict, already: str = "") -> list[MetadataProblem]:
    """The admin scopes asked for beyond those the client already has (`already`) are refused."""
    scope = data.get("scope")
    if isinstance(scope, str) and (set(scope.split()) & set(ADMIN_SCOPES)) - set(already.split()):
        return [MetadataProblem("scope", "the admin scopes are granted by an operator only")]
    return []


def exchange_problems(data: dict, current=None) -> list[MetadataProblem]:
    """Token exchange (RFC 8693) and its two settings, asked for by a client itself, beyond what an
    operator already gave it (`current`)."""
    problems = []
    grants = data.get("grant_types")
    had = current.grant_types if current is not None else ()
    if isinstance(grants, list) and EXCHANGE_GRANT in grants and EXCHANGE_GRANT not in had:
        problems.append(MetadataProblem("grant_types", f"{EXCHANGE_GRANT} is granted by an operator only"))
    for name in EXCHANGE_FIELDS:
        if data.get(name) is True and not (current is not None and current.client_metadata.get(name) is True):
            problems.append(MetadataProblem(name, f"{name} is set by an operator only"))
    return problems


def exchange_changes(grant_types, enabled: bool, impersonation: bool = False, refresh_tokens: bool = False) -> dict:
    """The changes (a merge patch) that turn token exchange on or off for a client: the CLI's and the
    console's switch, applied by ClientAdmin.update like any other change."""
    grants = [g for g in grant_types if g != EXCHANGE_GRANT] + ([EXCHANGE_GRANT] if enabled else [])
    return {"grant_types": grants, "token_exchange_impersonation": (enabled and impersonation) or None,
            "token_exchange_refresh_tokens": (enabled and refresh_tokens) or None}


def field_problems(data: dict) -> list[MetadataProblem]:
    """What is wrong with single fields: unsupported features, JSON types, redirect URIs."""
    problems = [MetadataProblem(name, f"{name} must not contain NUL characters") for name, value in data.items()
                if has_nul(value)]
    problems += [MetadataProblem(name, f"{name} is not supported by this server") for name in UNSUPPORTED
                 if data.get(name)]
    for name in STRING_FIELDS:
        if name in data and not isinstance(data[name], str):
            problems.append(MetadataProblem(name, f"{name} must be a string"))
    if isinstance(data.get("client_name"), str) and len(data["client_name"]) > MAX_NAME:
        problems.append(MetadataProblem("client_name", f"client_name must be at most {MAX_NAME} characters"))
    for name in STRING_ARRAY_FIELDS:
        if name in data and not (isinstance(data[name], list) and all(isinstance(v, str) for v in data[name])):
            problems.append(MetadataProblem(name, f"{name} must be an array of strings"))
    for name in BOOLEAN_FIELDS:
        if name in data and not isinstance(data[name], bool):
            problems.append(MetadataProblem(name, f"{name} must be a boolean"))
    if "jwks" in data and not is_key_set_shape(data["jwks"]):
        problems.append(MetadataProblem("jwks", "jwks must be a JSON Web Key Set object"))
    if "default_max_age" in data and (not isinstance(data["default_max_age"], int) or data["default_max_age"] < 0):
        problems.append(MetadataProblem("default_max_age", "default_max_age must be a non-negative integer"))
    if "allowed_origins" in data and (problem := allowed_origins_problem(data["allowed_origins"])):
        problems.append(MetadataProblem("allowed_origins", problem))
    for name in REDIRECT_FIELDS:
        if name in data and not isinstance(data[name], list):
            problems.append(MetadataProblem(name, f"{name} must be an array", redirect=True))
            continue
        # Named by position, never quoted: an error_description may not hold every character (RFC 6749 5.2).
        check = native_redirect_problem if data.get("application_type") == "native" else redirect_problem
        bad = next((index for index, uri in enumerate(data.get(name) or []) if check(uri)), None)
        if bad is not None:
            rule = NATIVE_REDIRECT_RULE if check is native_redirect_problem else REDIRECT_RULE
            problems.append(MetadataProblem(name, f"{name}[{bad}]: {check(data[name][bad])}; {rule}", redirect=True))
    for name in URL_FIELDS:
        if isinstance(data.get(name), str) and url_problem(data[name]):
            problems.append(MetadataProblem(name, f"{name}: {url_problem(data[name])}; must be {URL_RULE}"))
    return problems


def is_key_set_shape(value) -> bool:
    """A JSON object whose `keys` is an array of objects (RFC 7517 5): what the key library can be
    handed at all (anything else made it raise KeyError or TypeError, a 500: issue 30's fuzz pass)."""
    keys = value.get("keys") if isinstance(value, dict) else None
    return isinstance(keys, list) and all(isinstance(key, dict) for key in keys)


def registered_claims(cls, data: dict, server_metadata: dict, problems: list) -> dict:
    """cls's registered claims; each claim it refuses is added to problems and left out, and the rest
    checked again, so every wrong claim is named."""
    data = dict(data)
    while True:
        options = cls.get_claims_options(server_metadata) if hasattr(cls, "get_claims_options") else {}
        claims = cls(data, {}, options, server_metadata)
        try:
            claims.validate()
            return claims.get_registered_claims()
        except ClaimError as error:
            problems.append(enumerated_problem(error.claim, server_metadata)
                            or MetadataProblem(error.claim, error.description or str(error)))
            data.pop(error.claim, None)
            if error.claim not in claims:  # a missing claim: nothing left to drop
                return {}
        except JoseError as error:
            problems.append(MetadataProblem("metadata", error.description or str(error)))
            return {}
        except (ValueError, TypeError, AttributeError, LookupError) as error:  # a key the library cannot read
            problems.append(MetadataProblem("metadata", str(error)))
            return {}


def allowed_values(field: str, server_metadata: dict) -> tuple[str, ...]:
    """The values `field` may take (each item of it, for an array), or () when they are not a fixed set."""
    source = ENUMERATED.get(field, ())
    return tuple(server_metadata.get(source) or ()) if isinstance(source, str) else tuple(source)


def enumerated_problem(field: str, server_metadata: dict) -> MetadataProblem | None:
    """A refused value of a fixed set, said with the set (words, never a Python list)."""
    allowed = allowed_values(field, server_metadata)
    if not allowed:
        return None
    each = "each of " if field in STRING_ARRAY_FIELDS else ""
    return MetadataProblem(field, f"{each}{field} must be one of: {', '.join(allowed)}", allowed=allowed)


def check_sector(metadata: dict, outbound) -> None:
    """OIDC Core 8.1 / Registration 5: a pairwise client's sector is the host of its
    sector_identifier_uri, whose JSON array must list every redirect URI; without one,
    all redirect URIs must share one host."""
    uri = metadata.get("sector_identifier_uri")
    redirect_uris = metadata.get("redirect_uris") or []
    if not uri:
        if len({urlsplit(u).hostname for u in redirect_uris}) > 1:
            refuse("sector_identifier_uri", "redirect URIs on several hosts need a sector_identifier_uri")
        return
    if outbound is None:
        refuse("sector_identifier_uri", "sector_identifier_uri cannot be checked here")
    from idp.plumbing.outbound import OutboundError

    try:
        listed = outbound.get_json(uri, expect=list)
    except OutboundError as exc:
        refuse("sector_identifier_uri", f"sector_identifier_uri could not be read: {exc}")
    if not set(redirect_uris) <= set(listed):
        refuse("sector_identifier_uri", "sector_identifier_uri does not list every redirect URI")


def apply_policy(metadata: dict) -> dict:
    grant_types = metadata.setdefault("grant_types", ["authorization_code"])
    response_types = metadata.setdefault("response_types", ["code"] if "authorization_code" in grant_types else [])
    method = metadata.setdefault("token_endpoint_auth_method", "client_secret_basic")
    if ("code" in response_types) != ("authorization_code" in grant_types):
        refuse("response_types", "response_types code goes with grant_types authorization_code (RFC 7591 2.1)")
    if any(g in REDIRECT_GRANTS for g in grant_types) and not metadata.get("redirect_uris"):
        refuse("redirect_uris", "authorization_code needs at least one redirect URI", redirect=True)
    if method == "none" and "client_credentials" in grant_types:
        refuse("grant_types", "a public client cannot use client_credentials")
    if method == "none" and EXCHANGE_GRANT in grant_types:
        refuse("grant_types", "a public client cannot exchange tokens (RFC 8693 2.1: the client authenticates)")
    for name in EXCHANGE_FIELDS:
        if metadata.get(name) and EXCHANGE_GRANT not in grant_types:
            refuse(name, f"{name} needs grant_types {EXCHANGE_GRANT}")
    if metadata.get("jwks") and metadata.get("jwks_uri"):
        refuse("jwks", "jwks and jwks_uri must not both be present (RFC 7591 2)")
    if method == "private_key_jwt" and not (metadata.get("jwks") or metadata.get("jwks_uri")):
        refuse("token_endpoint_auth_method", "private_key_jwt needs jwks or jwks_uri")
    if metadata.get("jwks"):
        try:
            keys = KeySet.import_key_set(metadata["jwks"])
        except (JoseError, ValueError, TypeError, KeyError):
            refuse("jwks", "jwks is not a valid JWK Set")
        if any(key.is_private for key in keys.keys):
            refuse("jwks", "jwks must contain public keys only")
    return metadata


def client_fields(metadata: dict) -> dict:
    """Keyword arguments of Clients.create for validated metadata."""
    rest = {k: v for k, v in metadata.items() if k not in (
        "redirect_uris", "grant_types", "response_types", "scope", "token_endpoint_auth_method", "client_name")}
    return {
        "name": metadata.get("client_name") or "Unnamed client",
        "redirect_uris": list(metadata.get("redirect_uris") or []),
        "grant_types": list(metadata["grant_types"]),
        # An empty scope given on purpose stays empty (a machine client asks only its APIs' scopes).
        "scope": metadata["scope"] if isinstance(metadata.get("scope"), str) else "openid profile email",
        "public": metadata["token_endpoint_auth_method"] == "none",
        "auth_method": metadata["token_endpoint_auth_method"],
        "metadata": rest,
    }


def describe(client) -> dict:
    """The client's registered metadata as RFC 7591 3.2.1 returns it (no internal fields)."""
    data = {k: v for k, v in client.client_metadata.items() if k not in INTERNAL_FIELDS}
    data.update({
        "client_id": client.client_id,
        "client_name": client.name,
        "redirect_uris": list(client.redirect_uris),
        "grant_types": list(client.grant_types),
        "response_types": list(client.response_types),
        "scope": client.scope,
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
    })
    return data
