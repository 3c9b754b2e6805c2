"""Client metadata policy: what a client may register, checked in one place for dynamic
registration (RFC 7591 2, RFC 7592), the admin API and the admin CLI.

authlib's claim classes check the standard fields (RFC 7591 2, OpenID Connect
Registration 2, RP-Initiated Logout 3.1) against the server's metadata; the policy
here adds what they leave to the server:
* redirect URIs (and post-logout ones): absolute, no fragment, https except loopback
  http, compared exactly later (RFC 9700 2.1) -> invalid_redirect_uri;
* grant and response types consistent with each other (RFC 7591 2.1) and with the
  authentication method; `jwks` xor `jwks_uri`, public keys only; private_key_jwt needs one;
* URLs the server itself calls (jwks_uri, backchannel_logout_uri, sector_identifier_uri):
  https except loopback (the outbound guard checks addresses again at call time);
* pairwise clients: one sector (a sector_identifier_uri listing the redirect URIs, or one host);
* features we do not implement (encryption, signed userinfo, request_uris) are refused,
  not silently ignored.

Every field checked on its own (types, URIs, each claim) is reported, so an operator sees
all the wrong fields at once; the checks across fields then report the first mismatch.
Registration answers the first problem as its OAuth error (idp/oauth/client_metadata.py).
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from authlib.oauth2.claims import BaseClaims
from authlib.oauth2.rfc7591 import ClientMetadataClaims as OAuthClaims
from authlib.oidc.registration import ClientMetadataClaims as OIDCClaims
from authlib.oidc.rpinitiated import ClientMetadataClaims as LogoutClaims
from joserfc.errors import ClaimError, JoseError
from joserfc.jwk import KeySet

from idp.store.clients import ADMIN_SCOPES, INTERNAL_FIELDS

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
UNSUPPORTED = ("id_token_encrypted_response_alg", "id_token_encrypted_response_enc",
               "userinfo_signed_response_alg", "userinfo_encrypted_response_alg",
               "userinfo_encrypted_response_enc", "request_object_encryption_alg",
               "request_object_encryption_enc", "request_uris", "software_statement")
REDIRECT_GRANTS = ("authorization_code",)
REDIRECT_FIELDS = ("redirect_uris", "post_logout_redirect_uris")
# JSON types of the fields we accept (RFC 7591 2, OIDC Registration 2): checked before anything reads them.
STRING_FIELDS = ("client_name", "client_uri", "logo_uri", "scope", "tos_uri", "policy_uri", "jwks_uri", "software_id",
                 "software_version", "token_endpoint_auth_method", "sector_identifier_uri", "subject_type",
                 "id_token_signed_response_alg", "token_endpoint_auth_signing_alg", "request_object_signing_alg",
                 "backchannel_logout_uri", "application_type", "initiate_login_uri")
STRING_ARRAY_FIELDS = ("grant_types", "response_types", "contacts", "default_acr_values")
BOOLEAN_FIELDS = ("backchannel_logout_session_required", "require_pushed_authorization_requests",
                  "dpop_bound_access_tokens", "require_auth_time")
MAX_NAME = 255  # the clients.name column


@dataclasses.dataclass(frozen=True)
class MetadataProblem:
    field: str
    detail: str
    redirect: bool = False  # RFC 7591 3.2.2: invalid_redirect_uri rather than invalid_client_metadata

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
                         "require_pushed_authorization_requests", "dpop_bound_access_tokens"]


CLAIM_CLASSES = [OAuthClaims, OIDCClaims, LogoutClaims, FlowClaims]


def is_loopback(host: str | None) -> bool:
    return host in ("127.0.0.1", "::1", "localhost")


def _safe_url(uri) -> bool:
    parts = urlsplit(uri) if isinstance(uri, str) else None
    return bool(parts and parts.hostname and not parts.fragment and "#" not in uri
                and (parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname))))


def validate(data: dict, server_metadata: dict, outbound=None, operator: bool = False) -> dict:
    """The metadata to register, or InvalidMetadata naming what is wrong (RFC 7591 3.2.2).
    Only an operator (operator=True: `idp clients create`, or the administration layer, which
    checks who asks itself) may give a client the admin API's scopes."""
    if not isinstance(data, dict):
        refuse("body", "the body must be a JSON object")
    problems = [] if operator else admin_scope_problems(data)
    problems += field_problems(data)
    wrong = {p.field for p in problems}
    clean = {k: v for k, v in data.items() if k not in wrong}
    metadata = {}
    for cls in CLAIM_CLASSES:
        metadata.update(registered_claims(cls, clean, server_metadata, problems))
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


def field_problems(data: dict) -> list[MetadataProblem]:
    """What is wrong with single fields: unsupported features, JSON types, redirect URIs."""
    problems = [MetadataProblem(name, f"{name} is not supported by this server") for name in UNSUPPORTED
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
    for name in REDIRECT_FIELDS:
        if name in data and not isinstance(data[name], list):
            problems.append(MetadataProblem(name, f"{name} must be an array", redirect=True))
            continue
        bad = next((uri for uri in data.get(name) or [] if not _safe_url(uri)), None)
        if bad is not None:
            problems.append(MetadataProblem(name, f"{bad!r}: absolute, no fragment, https except loopback http",
                                            redirect=True))
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
            problems.append(MetadataProblem(error.claim, error.description or str(error)))
            data.pop(error.claim, None)
            if error.claim not in claims:  # a missing claim: nothing left to drop
                return {}
        except JoseError as error:
            problems.append(MetadataProblem("metadata", error.description or str(error)))
            return {}
        except (ValueError, TypeError, AttributeError, LookupError) as error:  # a key the library cannot read
            problems.append(MetadataProblem("metadata", str(error)))
            return {}


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
    for name in ("jwks_uri", "backchannel_logout_uri", "sector_identifier_uri"):
        if metadata.get(name) and not _safe_url(metadata[name]):
            refuse(name, f"{name} must be an https URL (http only on loopback)")
    return metadata


def client_fields(metadata: dict) -> dict:
    """Keyword arguments of Clients.create for validated metadata."""
    rest = {k: v for k, v in metadata.items() if k not in (
        "redirect_uris", "grant_types", "response_types", "scope", "token_endpoint_auth_method", "client_name")}
    return {
        "name": metadata.get("client_name") or "Unnamed client",
        "redirect_uris": list(metadata.get("redirect_uris") or []),
        "grant_types": list(metadata["grant_types"]),
        "scope": metadata.get("scope") or "openid profile email",
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
