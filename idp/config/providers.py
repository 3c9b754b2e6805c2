"""Upstream identity providers' settings (GOOGLE_*, LINKEDIN_*, GITHUB_*, OIDC_PROVIDERS): one
typed object per provider, with its group mapping."""

from __future__ import annotations

import dataclasses
import json
import re

from idp.config.values import ConfigError

PROVIDER_KINDS = ("google", "linkedin", "github", "oidc")
PROVIDER_DEFAULTS = {
    "google": {"label": "Google", "discovery_url": "https://accounts.google.com/.well-known/openid-configuration"},
    "linkedin": {"label": "LinkedIn",
                 "discovery_url": "https://www.linkedin.com/oauth/.well-known/openid-configuration"},
    "github": {"label": "GitHub", "authorize_url": "https://github.com/login/oauth/authorize",
               "token_url": "https://github.com/login/oauth/access_token", "api_url": "https://api.github.com"},
}
_PROVIDER_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")


@dataclasses.dataclass(frozen=True)
class ProviderConfig:
    """One upstream identity provider (issue 5). Endpoints left empty come from discovery or the defaults."""

    name: str  # the URL segment and the `idp` claim: google, github, linkedin or a generic issuer's name
    kind: str  # google | linkedin | github | oidc
    label: str
    client_id: str
    client_secret: str = dataclasses.field(repr=False, default="")
    callback_url: str = ""  # exactly what is registered at the provider
    discovery_url: str = ""  # OIDC kinds
    authorize_url: str = ""  # overrides discovery (or GitHub's default)
    token_url: str = ""
    userinfo_url: str = ""
    jwks_url: str = ""
    api_url: str = ""  # GitHub's API base
    issuer: str = ""  # expected `iss`; empty: the discovery document's
    scope: str = ""
    token_auth_method: str = "client_secret_basic"  # or client_secret_post (LinkedIn)
    # RFC 9207: do authorization responses carry `iss`? None: as discovery says (OIDC kinds), no (GitHub)
    authorization_response_iss: bool | None = None
    # -- upstream group mapping (issue 21): upstream group -> local group, memberships follow each sign-in
    groups_claim: str = "groups"  # OIDC kinds: the ID token / userinfo claim listing the user's groups
    group_map: tuple = ()  # ((upstream, local), ...); GitHub upstream names are "org" or "org/team-slug"


def _providers(env, issuer: str) -> tuple[ProviderConfig, ...]:
    """GOOGLE_*, GITHUB_*, LINKEDIN_* variables, plus generic issuers from OIDC_PROVIDERS (JSON) or its file."""
    found = []
    for kind in ("google", "linkedin", "github"):
        prefix = kind.upper() + "_"
        client_id = env.get(prefix + "CLIENT_ID", "") or ""
        keys = (("authorize_url", "token_url", "api_url", "issuer") if kind == "github" else
                ("discovery_url", "authorize_url", "token_url", "userinfo_url", "jwks_url"))
        keys += ("authorization_response_iss",)
        values = {key: env.get(prefix + key.upper(), "") or "" for key in keys}
        secret = env.get(prefix + "CLIENT_SECRET", "") or ""
        callback = env.get(prefix + "CALLBACK_URL", "") or ""
        if not client_id:
            continue
        merged = {**PROVIDER_DEFAULTS[kind], **{k: v for k, v in values.items() if v}}
        if kind == "linkedin":
            merged.setdefault("token_auth_method", "client_secret_post")  # LinkedIn reads the secret from the body
        if env.get(prefix + "GROUP_MAP"):
            merged["group_map"] = env.get(prefix + "GROUP_MAP")
        found.append(dict(name=kind, kind=kind, client_id=client_id, client_secret=secret, callback_url=callback,
                          **merged))
    raw = env.get("OIDC_PROVIDERS", "") or ""
    path = env.get("OIDC_PROVIDERS_FILE", "") or ""
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                raw = handle.read()
        except OSError as exc:
            raise ConfigError(f"OIDC_PROVIDERS_FILE: cannot read {path!r}: {exc.strerror}") from None
    if raw.strip():
        try:
            items = json.loads(raw)
        except ValueError:
            raise ConfigError("OIDC_PROVIDERS: expected a JSON list of objects") from None
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise ConfigError("OIDC_PROVIDERS: expected a JSON list of objects")
        for item in items:
            found.append(dict(kind="oidc", **item))
    return tuple(provider_config(item, issuer) for item in found)


def provider_config(values: dict, issuer: str) -> ProviderConfig:
    fields = {f.name for f in dataclasses.fields(ProviderConfig)}
    unknown = set(values) - fields
    name = str(values.get("name", ""))
    where = "OIDC_PROVIDERS" if values.get("kind") == "oidc" else f"{name.upper()}_*"
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}")
    if not _PROVIDER_NAME.match(name):
        raise ConfigError(f"{where}: provider name {name!r} must be lowercase letters, digits or -")
    group_map = parse_group_map(values.pop("group_map", None), where)
    response_iss = parse_optional_bool(values.pop("authorization_response_iss", None),
                                       f"{where}: authorization_response_iss")
    values = {k: str(v) for k, v in values.items()}
    values["group_map"] = group_map
    values["authorization_response_iss"] = response_iss
    values.setdefault("label", PROVIDER_DEFAULTS.get(name, {}).get("label", name.capitalize()))
    if not values.get("client_id"):
        raise ConfigError(f"{where}: client_id is required")
    if not values.get("callback_url"):
        values["callback_url"] = f"{issuer}/federation/{name}/callback"
    if values["kind"] == "github" and response_iss and not values.get("issuer"):
        raise ConfigError(f"{where}: authorization_response_iss needs the provider's issuer to compare with")
    if values["kind"] == "oidc" and not (values.get("discovery_url") or values.get("issuer")):
        raise ConfigError(f"OIDC_PROVIDERS: {name} needs an issuer or a discovery_url")
    if values["kind"] == "oidc" and not values.get("discovery_url"):
        values["discovery_url"] = values["issuer"].rstrip("/") + "/.well-known/openid-configuration"
    return ProviderConfig(**values)


def parse_optional_bool(value, where: str) -> bool | None:
    """true/false (JSON or the environment's text); empty or absent: None (decided elsewhere)."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ConfigError(f"{where} must be true or false")


def parse_group_map(value, where: str) -> tuple:
    """{"upstream": "local", ...} (JSON in OIDC_PROVIDERS, or <KIND>_GROUP_MAP as JSON) -> sorted pairs."""
    if value in (None, ""):
        return ()
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ConfigError(f"{where}: group_map must be a JSON object of upstream group -> local group") from None
    if not isinstance(value, dict) or not all(isinstance(k, str) and k and isinstance(v, str) and v
                                              for k, v in value.items()):
        raise ConfigError(f"{where}: group_map must be a JSON object of upstream group -> local group")
    return tuple(sorted(value.items()))
