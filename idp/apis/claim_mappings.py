"""Custom claims without code (issue 35): claim mappings, declared on an API (its access tokens,
RFC 9068 2.2) or on a client (its ID tokens and userinfo, OpenID Connect Core 5.1 / 5.3.2), each
`{"claim": "plan", "from": "app_metadata.plan", "scope": "billing"}`.

`from` names one source:
* `app_metadata[.key...]`, `user_metadata[.key...]`: the user's metadata (idp/accounts/user_metadata.py),
  a member or the whole object; the JSON value is passed through as it is (scalar, array, object);
* `user.email`, `user.email_verified`, `user.name`, `user.updated_at`: profile attributes;
* `groups`: the user's group names (direct and inherited);
* `organization.id`, `organization.slug`, `organization.name`: the organization the token is for
  (absent when it is for none).
A missing source leaves the claim out. `scope` (optional) gates the mapping: only a token whose
granted scope holds it carries the claim.

Reserved claims can never be written by a mapping: the protocol's (RFC 7519 4.1, RFC 9068 2.2,
RFC 8693 4, RFC 9449 6, OpenID Connect Core 2 and 5.1) and every claim this server emits itself.
Each entry (admin API, console, CLI; registrants may not set mappings at all, RFC 7591 / 7592
requests carrying them are refused) validates through `check_mappings`, and evaluation drops a
reserved name again, so a row written some other way still cannot overwrite one.

Token size: the mapped claims of one token take at most TOKEN_BUDGET bytes of JSON; a claim past it
is left out and `<claim>_overage: true` is set instead (the groups / roles rule of idp/apis/access.py),
and userinfo and introspection answer the full value. Access tokens longer than 8192 characters are
refused by every validator here, so a budget keeps every token usable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

RESERVED = frozenset({
    # RFC 7519 4.1, RFC 9068 2.2, RFC 8693 4, RFC 9449 6, RFC 7800
    "iss", "sub", "aud", "exp", "iat", "nbf", "jti", "scope", "client_id", "cnf", "act", "may_act", "typ",
    # OpenID Connect Core 2, 3.1.3.6, 5.1; Back-Channel Logout 2.4
    "azp", "nonce", "at_hash", "c_hash", "s_hash", "auth_time", "acr", "amr", "sid", "events",
    "name", "email", "email_verified", "updated_at", "given_name", "family_name", "middle_name", "nickname",
    "preferred_username", "profile", "picture", "website", "gender", "birthdate", "zoneinfo", "locale",
    "phone_number", "phone_number_verified", "address",
    # emitted by this server: grants, federation, organizations (issue 33), roles (issue 21)
    "gid", "idp", "org_id", "org_name", "roles", "groups", "entitlements",
})
PROFILE = ("email", "email_verified", "name", "updated_at")
ORGANIZATION = ("id", "slug", "name")
MAX_MAPPINGS = 50
TOKEN_BUDGET = 2048  # bytes of JSON the mapped claims of one JWT may take
CLAIM_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:/#~+-]{0,127}")  # a plain name or a namespaced URI
PATH_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_PATH = 8
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]{1,128}")  # RFC 6749 3.3
MISSING = object()


class InvalidMappings(ValueError):
    """A claim mapping list breaks a rule; the message says which mapping and why."""


def is_reserved(claim: str) -> bool:
    """Reserved names are compared without case (a resource server may not), and `<x>_overage`
    markers belong to the size rule."""
    return claim.lower() in RESERVED or claim.lower().endswith("_overage")


def check_source(source) -> str | None:
    """Why `source` is not a source a mapping may read, or None."""
    if not isinstance(source, str):
        return "'from' must be text"
    head, _, rest = source.partition(".")
    if head in ("app_metadata", "user_metadata"):
        keys = source.split(".")[1:]  # "app_metadata." is one empty key: refused
        if len(keys) > MAX_PATH or not all(PATH_KEY.fullmatch(k) for k in keys):
            return f"'from' {source}: a metadata path is up to {MAX_PATH} keys of A-Z a-z 0-9 _ -"
        return None
    if (head == "user" and rest in PROFILE) or (head == "organization" and rest in ORGANIZATION) or source == "groups":
        return None
    return (f"'from' {source[:80]}: one of app_metadata[.key...], user_metadata[.key...], "
            + ", ".join(f"user.{p}" for p in PROFILE) + ", groups, "
            + ", ".join(f"organization.{o}" for o in ORGANIZATION))


def check_mappings(value) -> list[dict]:
    """The mappings as stored ([] for null), or InvalidMappings naming the first wrong one."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_MAPPINGS:
        raise InvalidMappings(f"an array of at most {MAX_MAPPINGS} mappings")
    out, seen = [], set()
    for number, mapping in enumerate(value, 1):
        where = f"mapping {number}"
        if not isinstance(mapping, dict) or not {"claim", "from"} <= set(mapping) \
                or not set(mapping) <= {"claim", "from", "scope"}:
            raise InvalidMappings(f"{where}: an object with claim, from and optionally scope")
        claim = mapping["claim"]
        if not isinstance(claim, str) or not CLAIM_NAME.fullmatch(claim):
            raise InvalidMappings(f"{where}: a claim name of 1 to 128 of A-Z a-z 0-9 _ . : / # ~ + -")
        if is_reserved(claim):
            raise InvalidMappings(f"{where}: {claim} is a reserved claim and cannot be overwritten")
        if claim in seen:
            raise InvalidMappings(f"{where}: {claim} is mapped twice")
        seen.add(claim)
        problem = check_source(mapping["from"])
        if problem:
            raise InvalidMappings(f"{where}: {problem}")
        entry = {"claim": claim, "from": mapping["from"]}
        if mapping.get("scope") is not None:
            if not isinstance(mapping["scope"], str) or not SCOPE_TOKEN.fullmatch(mapping["scope"]):
                raise InvalidMappings(f"{where}: scope must be one scope-token (RFC 6749 3.3)")
            entry["scope"] = mapping["scope"]
        out.append(entry)
    return out


def parse_mapping(text: str) -> dict:
    """`claim=from` or `claim=from@scope` (the CLI's and the console's line form) as a mapping object."""
    claim, sep, source = text.partition("=")
    if not sep:
        raise InvalidMappings(f"{text[:80]}: write claim=from or claim=from@scope")
    source, at, scope = source.partition("@")
    mapping = {"claim": claim.strip(), "from": source.strip()}
    if at:
        mapping["scope"] = scope.strip()
    return mapping


def format_mapping(mapping: dict) -> str:
    return f"{mapping['claim']}={mapping['from']}" + (f"@{mapping['scope']}" if mapping.get("scope") else "")


def mappings_from_lines(text: str) -> list:
    """The console's textarea, one `claim=from[@scope]` a line, as mapping objects for the service to
    check; a line that is not of that form stays a {"line": ...} the check refuses, naming it."""
    out = []
    for line in (text or "").splitlines():
        if line.strip():
            try:
                out.append(parse_mapping(line.strip()))
            except InvalidMappings:
                out.append({"line": line.strip()[:80]})
    return out


def mappings_as_lines(mappings) -> str:
    return "\n".join(format_mapping(m) for m in mappings or ())


class Sources:
    """What mappings read for one user and one token; groups and the organization only when a
    mapping asks (each costs a cached read)."""

    def __init__(self, user, groups: Callable[[], list], organization: Callable[[], dict | None] = lambda: None):
        self.user, self._groups, self._organization = user, groups, organization

    def value(self, source: str):
        head, _, rest = source.partition(".")
        if head in ("app_metadata", "user_metadata"):
            value = getattr(self.user, head, None)
            for key in rest.split(".") if rest else []:
                if not isinstance(value, dict) or key not in value:
                    return MISSING
                value = value[key]
            return MISSING if value is None or value == {} else value
        if head == "user":
            value = getattr(self.user, rest, None)
            return MISSING if value is None else value
        if source == "groups":
            return self._groups() or MISSING
        if head == "organization":
            organization = self._organization()
            return organization.get(rest, MISSING) if organization else MISSING
        return MISSING


def mapped_claims(mappings, sources: Sources, scope: str, budget: int | None = TOKEN_BUDGET) -> dict:
    """The claims `mappings` give this token: scope-gated ones only when granted; past `budget`
    bytes (None: no bound, userinfo and introspection) a claim becomes `<claim>_overage: true`."""
    granted = set((scope or "").split())
    claims, used = {}, 0
    for mapping in mappings or ():
        claim = mapping.get("claim")
        if not isinstance(claim, str) or is_reserved(claim) or claim in claims:
            continue
        if mapping.get("scope") and mapping["scope"] not in granted:
            continue
        value = sources.value(mapping.get("from", ""))
        if value is MISSING:
            continue
        size = len(json.dumps({claim: value}, separators=(",", ":"))) if budget is not None else 0
        if budget is not None and used + size > budget:
            claims[claim + "_overage"] = True
            continue
        used += size
        claims[claim] = value
    return claims
