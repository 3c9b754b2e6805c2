"""Provider metadata: OpenID Connect Discovery 1.0 section 3 and RFC 8414 section 2.

Built once per process from what is really wired (truthful metadata), served
as pre-serialized bytes with an ETag.
"""

from __future__ import annotations

import hashlib
import json

from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

from idp.accounts.mfa import acr_values_supported
from idp.oauth.claims import CLAIMS_SUPPORTED
from idp.oauth.client_auth import ASYMMETRIC_ALGS
from idp.oauth.dpop import DPOP_ALGS
from idp.oauth.endpoints.cacheable import cacheable
from idp.oauth.scopes import SCOPES_SUPPORTED
from idp.plumbing.context import services

_cache: dict[tuple, tuple[bytes, str]] = {}
TOKEN_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "client_secret_jwt", "none"]
ASSERTION_ALGS = ASYMMETRIC_ALGS + ["HS256"]


def metadata(config, signing_algs: list[str]) -> dict:
    issuer = config.issuer
    data = {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/jwks.json",
        "introspection_endpoint": f"{issuer}/introspect",
        "revocation_endpoint": f"{issuer}/revoke",
        "end_session_endpoint": f"{issuer}/end_session",
        "device_authorization_endpoint": f"{issuer}/device_authorization",
        "scopes_supported": SCOPES_SUPPORTED,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials",
                                  "urn:ietf:params:oauth:grant-type:device_code",
                                  "urn:ietf:params:oauth:grant-type:token-exchange"],  # RFC 8693
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": signing_algs,  # exactly the algorithms with a live key
        "token_endpoint_auth_methods_supported": TOKEN_AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "introspection_endpoint_auth_methods_supported": TOKEN_AUTH_METHODS[:-1],
        "introspection_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "revocation_endpoint_auth_methods_supported": TOKEN_AUTH_METHODS,
        "revocation_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": CLAIMS_SUPPORTED,
        "acr_values_supported": acr_values_supported(issuer),
        "claims_parameter_supported": True,
        "request_parameter_supported": True,
        "request_uri_parameter_supported": False,  # no fetching from RPs; PAR's request_uri works (RFC 9126)
        "request_object_signing_alg_values_supported": ASYMMETRIC_ALGS,
        "pushed_authorization_request_endpoint": f"{issuer}/par",
        "dpop_signing_alg_values_supported": DPOP_ALGS,
        "require_pushed_authorization_requests": config.require_par,
        "require_signed_request_object": config.require_signed_request_object,  # RFC 9101 10.5
        "prompt_values_supported": ["none", "login", "consent"],
        "authorization_response_iss_parameter_supported": True,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
    }
    if config.registration_mode != "off":
        data["registration_endpoint"] = f"{issuer}/connect/register"
    return data


def current_metadata() -> dict:
    svc = services()
    return metadata(svc.config, svc.keys.signing_algs())


def _document(config, signing_algs: list[str]) -> tuple[bytes, str]:
    key = (config, tuple(signing_algs))
    if key not in _cache:
        data = metadata(config, signing_algs)
        AuthorizationServerMetadata(data).validate()
        body = json.dumps(data, indent=None, separators=(",", ":")).encode()
        _cache[key] = (body, hashlib.sha256(body).hexdigest()[:32])
    return _cache[key]


def published(svc) -> tuple[bytes, str, int, str]:
    """Body, ETag, max-age and content type (also served before Flask: oauth/published.py)."""
    body, etag = _document(svc.config, svc.keys.signing_algs())
    return body, etag, 3600, "application/json"


def discovery():
    return cacheable(*published(services()))
