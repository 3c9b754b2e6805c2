"""Which claims about a user a client gets (OpenID Connect Core 5).

* Scopes (5.4): profile -> name, updated_at; email -> email, email_verified.
* The `claims` request parameter (5.5): a JSON object with `userinfo` and `id_token` members.
  A claim asked for this way brings in the scope that holds it, so the user sees it on the
  consent page and the granted scope covers it; claims we do not have are ignored (they are
  voluntary, 5.5.1). A malformed parameter is invalid_request.
* acr (2, 5.5.1.1): a password (ACR_PASSWORD) or a password and a second factor (ACR_MFA, see
  idp/accounts/mfa.py). An *essential* acr request for values we never issue fails with
  unmet_authentication_requirements (OpenID Connect Core Unmet Authentication Requirements 1.0);
  acr_values naming ACR_MFA is a step-up requirement (idp/oauth/endpoints/authorize.py).
* `sub` is public or pairwise per client (idp/tokens/subjects.py); a requested `sub` value (5.5.1)
  is treated like an id_token_hint: only that user gets a code (3.1.2.2).
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error
from authlib.oidc.core import UserInfo

from idp.accounts.mfa import ACR_VALUES_SUPPORTED
from idp.plumbing import json_input

SCOPE_CLAIMS = {"profile": ("name", "updated_at"), "email": ("email", "email_verified")}
CLAIMS_SUPPORTED = ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "at_hash", "azp", "sid",
                    "name", "updated_at", "email", "email_verified", "groups", "roles"]


class UnmetAuthenticationRequirementsError(OAuth2Error):
    """OpenID Connect Core Unmet Authentication Requirements 1.0."""

    error = "unmet_authentication_requirements"


def parse_claims_request(value: str | None) -> dict:
    """The claims parameter as {"userinfo": {...}, "id_token": {...}} (5.5), or InvalidRequestError."""
    if not value:
        return {}
    try:
        data = json_input.loads(value)
    except ValueError:
        raise InvalidRequestError("The claims parameter is not JSON.") from None
    if not isinstance(data, dict) or not set(data) <= {"userinfo", "id_token"}:
        raise InvalidRequestError("The claims parameter has userinfo and id_token members only.")
    for member in data.values():
        if not isinstance(member, dict) or not all(v is None or isinstance(v, dict) for v in member.values()):
            raise InvalidRequestError("Each claims member maps claim names to null or an object.")
    return data


def scopes_for_claims(claims_request: dict) -> set[str]:
    names = {name for member in claims_request.values() for name in member}
    return {scope for scope, held in SCOPE_CLAIMS.items() if names & set(held)}


def check_acr(claims_request: dict) -> None:
    """An essential acr we cannot meet is an error; everything else about acr is voluntary."""
    wanted = claims_request.get("id_token", {}).get("acr") or {}
    values = wanted.get("values") or ([wanted["value"]] if "value" in wanted else [])
    if wanted.get("essential") and values and not set(values) & set(ACR_VALUES_SUPPORTED):
        raise UnmetAuthenticationRequirementsError(
            f"Only {', '.join(ACR_VALUES_SUPPORTED)} authentication is available here.")


def requested_subject(claims_request: dict) -> str | None:
    """A `sub` with a `value` (5.5.1): the request is for that user only."""
    for member in ("id_token", "userinfo"):
        wanted = claims_request.get(member, {}).get("sub") or {}
        if isinstance(wanted.get("value"), str):
            return wanted["value"]
    return None


def user_claims(user, scope: str, subject: str) -> UserInfo:
    """The claims the granted scopes allow (5.4), about `subject` as this client knows the user."""
    scopes = set((scope or "").split())
    info = UserInfo(sub=subject)
    if "profile" in scopes:
        info["name"] = user.name or ""
        info["updated_at"] = user.updated_at
    if "email" in scopes:
        info["email"] = user.email
        info["email_verified"] = bool(user.email_verified)
    return info
