"""Client metadata: what a client may register, validated in one place for dynamic
registration (RFC 7591 2, RFC 7592) and the admin CLI.

authlib's claim classes check the standard fields (RFC 7591 2, OpenID Connect
Registration 2, RP-Initiated Logout 3.1) against our discovery metadata; the policy
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
"""

from __future__ import annotations

from urllib.parse import urlsplit

from authlib.oauth2.claims import BaseClaims
from authlib.oauth2.rfc7591 import ClientMetadataClaims as OAuthClaims
from authlib.oauth2.rfc7591 import InvalidClientMetadataError, InvalidRedirectURIError
from authlib.oidc.registration import ClientMetadataClaims as OIDCClaims
from authlib.oidc.rpinitiated import ClientMetadataClaims as LogoutClaims
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from idp.store.clients import ADMIN_SCOPES, SHARED_SECRET_FIELD

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
UNSUPPORTED = ("id_token_encrypted_response_alg", "id_token_encrypted_response_enc",
               "userinfo_signed_response_alg", "userinfo_encrypted_response_alg",
               "userinfo_encrypted_response_enc", "request_object_encryption_alg",
               "request_object_encryption_enc", "request_uris", "software_statement")
INTERNAL_FIELDS = (SHARED_SECRET_FIELD, "secret")
REDIRECT_GRANTS = ("authorization_code",)
# JSON types of the fields we accept (RFC 7591 2, OIDC Registration 2): checked before anything reads them.
STRING_FIELDS = ("client_name", "client_uri", "logo_uri", "scope", "tos_uri", "policy_uri", "jwks_uri", "software_id",
                 "software_version", "token_endpoint_auth_method", "sector_identifier_uri", "subject_type",
                 "id_token_signed_response_alg", "token_endpoint_auth_signing_alg", "request_object_signing_alg",
                 "backchannel_logout_uri", "application_type", "initiate_login_uri")
STRING_ARRAY_FIELDS = ("grant_types", "response_types", "contacts", "default_acr_values")
BOOLEAN_FIELDS = ("backchannel_logout_session_required", "require_pushed_authorization_requests",
                  "dpop_bound_access_tokens", "require_auth_time")


class FlowClaims(BaseClaims):
    """Metadata of the flows in idp/ that authlib has no claim class for."""

    REGISTERED_CLAIMS = ["backchannel_logout_uri", "backchannel_logout_session_required",
                         "require_pushed_authorization_requests", "dpop_bound_access_tokens"]

    def validate(self, now=None, leeway=0):
        super().validate(now, leeway)
        for name in self.REGISTERED_CLAIMS:
            if name.endswith("_required") or name.startswith(("require_", "dpop_")):
                if name in self and not isinstance(self[name], bool):
                    raise InvalidClientMetadataError(f"{name} must be a boolean")


CLAIM_CLASSES = [OAuthClaims, OIDCClaims, LogoutClaims, FlowClaims]


def is_loopback(host: str | None) -> bool:
    return host in ("127.0.0.1", "::1", "localhost")


def check_redirect_uri(uri) -> None:
    parts = urlsplit(uri) if isinstance(uri, str) else None
    if (parts is None or not parts.hostname or parts.fragment or "#" in uri
            or not (parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname)))):
        raise InvalidRedirectURIError(f"{uri!r}: absolute, no fragment, https except loopback http")


def check_server_called_uri(name: str, uri) -> None:
    parts = urlsplit(uri) if isinstance(uri, str) else None
    if (parts is None or not parts.hostname or parts.fragment
            or not (parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname)))):
        raise InvalidClientMetadataError(f"{name} must be an https URL (http only on loopback)")


def validate(data: dict, server_metadata: dict, outbound=None, operator: bool = False) -> dict:
    """The registered metadata, or InvalidRedirectURIError / InvalidClientMetadataError (RFC 7591 3.2.2).
    Only an operator (`idp clients create`, operator=True) may give a client the admin API's scopes:
    a dynamic registration or update asking for one is refused (RFC 7591 3.2.2, invalid_client_metadata)."""
    if not isinstance(data, dict):
        raise InvalidClientMetadataError("the body must be a JSON object")
    if not operator and isinstance(data.get("scope"), str) and set(data["scope"].split()) & set(ADMIN_SCOPES):
        raise InvalidClientMetadataError("the admin scopes are granted by an operator only")
    for name in UNSUPPORTED:
        if data.get(name):
            raise InvalidClientMetadataError(f"{name} is not supported by this server")
    check_types(data)
    for name in ("redirect_uris", "post_logout_redirect_uris"):
        if name in data and not isinstance(data[name], list):
            raise InvalidRedirectURIError(f"{name} must be an array")
        for uri in data.get(name) or []:
            check_redirect_uri(uri)
    metadata = {}
    for cls in CLAIM_CLASSES:
        options = cls.get_claims_options(server_metadata) if hasattr(cls, "get_claims_options") else {}
        claims = cls(data, {}, options, server_metadata)
        try:
            claims.validate()
        except JoseError as error:
            raise InvalidClientMetadataError(error.description or str(error)) from None
        except (ValueError, TypeError, AttributeError) as error:
            raise InvalidClientMetadataError(str(error)) from None
        metadata.update(claims.get_registered_claims())
    metadata = apply_policy(metadata)
    if metadata.get("subject_type") == "pairwise":
        check_sector(metadata, outbound)
    return metadata


def check_types(data: dict) -> None:
    for name in STRING_FIELDS:
        if name in data and not isinstance(data[name], str):
            raise InvalidClientMetadataError(f"{name} must be a string")
    for name in STRING_ARRAY_FIELDS:
        if name in data and not (isinstance(data[name], list) and all(isinstance(v, str) for v in data[name])):
            raise InvalidClientMetadataError(f"{name} must be an array of strings")
    for name in BOOLEAN_FIELDS:
        if name in data and not isinstance(data[name], bool):
            raise InvalidClientMetadataError(f"{name} must be a boolean")
    if "jwks" in data and not isinstance(data["jwks"], dict):
        raise InvalidClientMetadataError("jwks must be a JSON Web Key Set object")
    if "default_max_age" in data and (not isinstance(data["default_max_age"], int) or data["default_max_age"] < 0):
        raise InvalidClientMetadataError("default_max_age must be a non-negative integer")


def check_sector(metadata: dict, outbound) -> None:
    """OIDC Core 8.1 / Registration 5: a pairwise client's sector is the host of its
    sector_identifier_uri, whose JSON array must list every redirect URI; without one,
    all redirect URIs must share one host."""
    uri = metadata.get("sector_identifier_uri")
    redirect_uris = metadata.get("redirect_uris") or []
    if not uri:
        if len({urlsplit(u).hostname for u in redirect_uris}) > 1:
            raise InvalidClientMetadataError("redirect URIs on several hosts need a sector_identifier_uri")
        return
    if outbound is None:
        raise InvalidClientMetadataError("sector_identifier_uri cannot be checked here")
    from idp.plumbing.outbound import OutboundError

    try:
        listed = outbound.get_json(uri, expect=list)
    except OutboundError as exc:
        raise InvalidClientMetadataError(f"sector_identifier_uri could not be read: {exc}") from None
    if not set(redirect_uris) <= set(listed):
        raise InvalidClientMetadataError("sector_identifier_uri does not list every redirect URI")


def apply_policy(metadata: dict) -> dict:
    grant_types = metadata.setdefault("grant_types", ["authorization_code"])
    response_types = metadata.setdefault("response_types", ["code"] if "authorization_code" in grant_types else [])
    method = metadata.setdefault("token_endpoint_auth_method", "client_secret_basic")
    if not isinstance(grant_types, list) or not isinstance(response_types, list):
        raise InvalidClientMetadataError("grant_types and response_types must be arrays")
    if ("code" in response_types) != ("authorization_code" in grant_types):
        raise InvalidClientMetadataError("response_types code goes with grant_types authorization_code (RFC 7591 2.1)")
    if any(g in REDIRECT_GRANTS for g in grant_types) and not metadata.get("redirect_uris"):
        raise InvalidRedirectURIError("authorization_code needs at least one redirect URI")
    if method == "none" and "client_credentials" in grant_types:
        raise InvalidClientMetadataError("a public client cannot use client_credentials")
    if metadata.get("jwks") and metadata.get("jwks_uri"):
        raise InvalidClientMetadataError("jwks and jwks_uri must not both be present (RFC 7591 2)")
    if method == "private_key_jwt" and not (metadata.get("jwks") or metadata.get("jwks_uri")):
        raise InvalidClientMetadataError("private_key_jwt needs jwks or jwks_uri")
    if metadata.get("jwks"):
        try:
            keys = KeySet.import_key_set(metadata["jwks"])
        except (JoseError, ValueError, TypeError, KeyError):
            raise InvalidClientMetadataError("jwks is not a valid JWK Set") from None
        if any(key.is_private for key in keys.keys):
            raise InvalidClientMetadataError("jwks must contain public keys only")
    for name in ("jwks_uri", "backchannel_logout_uri", "sector_identifier_uri"):
        if metadata.get(name):
            check_server_called_uri(name, metadata[name])
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
