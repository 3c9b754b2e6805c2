"""One imported user: the project's own `jsonl` record, checked field by field.

Every reader (jsonl, keycloak, auth0) produces these dictionaries, and `to_record` is the one
place they are checked, so a Keycloak realm and a hand-written file are refused for the same
reasons. The schema is docs/user-import.schema.json, described in docs/migration.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pyotp

from idp.accounts.user_metadata import DEFAULT_MAX_BYTES, KINDS as METADATA, InvalidMetadata, check_metadata
from idp.migration import schemes

ID_FORM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:|@-]{0,35}")
EMAIL_FORM = re.compile(r"[^@\s\x00]{1,64}@[^@\s\x00]{1,255}")
MAX_RECOVERY_CODES = 20


class RecordError(ValueError):
    """A record that cannot be imported; the message says which field and why."""


@dataclasses.dataclass
class ImportRecord:
    email: str
    id: str | None = None
    email_verified: bool = False
    name: str | None = None
    disabled: bool = False
    password_hash: str | None = None
    totp_secret: str | None = None  # base32, as authenticator apps take it
    recovery_codes: list[str] = dataclasses.field(default_factory=list)  # plaintext codes
    recovery_hashes: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # this IdP's (salt, hash)
    identities: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (provider, subject)
    groups: list[str] = dataclasses.field(default_factory=list)
    roles: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (api identifier, role name)
    created_at: dt.datetime | None = None
    app_metadata: dict | None = None  # issue 35: what claim mappings read (idp/accounts/user_metadata.py)
    user_metadata: dict | None = None


def _text(data: dict, name: str, limit: int, required=False) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise RecordError(f"{name} is required")
        return None
    if not isinstance(value, str) or "\x00" in value or len(value) > limit:
        raise RecordError(f"{name} must be a string of at most {limit} characters")
    return value


def _flag(data: dict, name: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise RecordError(f"{name} must be true or false")
    return value


def _list(data: dict, name: str) -> list:
    value = data.get(name) or []
    if not isinstance(value, list) or len(value) > 100:
        raise RecordError(f"{name} must be a list of at most 100 entries")
    return value


def password_of(value, allow_weak: bool) -> str | None:
    """A PHC/modular-crypt string, or {"scheme": …, "hash": …[, "salt", "iterations", …]}."""
    if value is None:
        return None
    if isinstance(value, str):
        stored = value
    elif isinstance(value, dict):
        stored = stored_form(value)
    else:
        raise RecordError("password must be a hash string or an object with scheme and hash")
    try:
        return schemes.check(stored, allow_weak)
    except schemes.UnsupportedHash as exc:
        raise RecordError(f"password: {exc}") from None


def stored_form(value: dict) -> str:
    """The object form of a password, as docs/migration.md lists it, in its stored string form."""
    scheme, digest = value.get("scheme"), value.get("hash")
    if not isinstance(scheme, str) or not isinstance(digest, str):
        raise RecordError("password: scheme and hash must be strings")
    salt = value.get("salt", "")
    if scheme in ("bcrypt", "argon2", "argon2id", "argon2i"):
        return digest
    if scheme in ("pbkdf2-sha1", "pbkdf2-sha256", "pbkdf2-sha512"):
        return f"${scheme}$i={value.get('iterations')}${salt}${digest}"
    if scheme == "scrypt":
        return f"$scrypt$ln={value.get('ln')},r={value.get('r', 8)},p={value.get('p', 1)}${salt}${digest}"
    if scheme == "firebase-scrypt":
        return (f"$firebase-scrypt$ln={value.get('mem_cost')},r={value.get('rounds')}$"
                f"{value.get('salt_separator', '')}${value.get('signer_key', '')}${salt}${digest}")
    if scheme in schemes.WEAK_SCHEMES:
        return f"${scheme}$pos={value.get('salt_position', 'prefix')}${salt}${digest}"
    raise RecordError(f"password: unknown scheme {scheme[:32]!r}")


def _totp(data: dict) -> str | None:
    secret = _text(data, "totp_secret", 128)
    if secret is None:
        return None
    normalised = secret.replace(" ", "").upper()
    try:
        pyotp.TOTP(normalised).now()
    except Exception:
        raise RecordError("totp_secret must be base32") from None
    return normalised


def _created_at(data: dict) -> dt.datetime | None:
    value = _text(data, "created_at", 40)
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RecordError("created_at must be an ISO 8601 date-time") from None
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def _metadata(data: dict, max_bytes: int) -> dict:
    checked = {}
    for kind in METADATA:
        try:
            checked[kind] = check_metadata(data.get(kind), max_bytes)
        except InvalidMetadata as exc:
            raise RecordError(f"{kind} {exc}") from None
    return checked


def to_record(data, allow_weak: bool = False, metadata_max_bytes: int = DEFAULT_MAX_BYTES) -> ImportRecord:
    """The record a dictionary describes, or RecordError naming the first field that is wrong."""
    if not isinstance(data, dict):
        raise RecordError("a record must be a JSON object")
    email = _text(data, "email", 320, required=True).strip().lower()
    if not EMAIL_FORM.fullmatch(email):
        raise RecordError("email is not an address")
    user_id = _text(data, "id", 36)
    if user_id is not None and not ID_FORM.fullmatch(user_id):
        raise RecordError("id must be 1-36 characters of letters, digits and ._:|@-")
    identities, roles = [], []
    for link in _list(data, "identities"):
        if not (isinstance(link, dict) and isinstance(link.get("provider"), str)
                and isinstance(link.get("subject"), str) and 0 < len(link["provider"]) <= 32
                and 0 < len(link["subject"]) <= 255):
            raise RecordError("identities: each needs a provider (<= 32) and a subject (<= 255)")
        identities.append((link["provider"], link["subject"]))
    for role in _list(data, "roles"):
        if not (isinstance(role, dict) and isinstance(role.get("api"), str) and isinstance(role.get("role"), str)):
            raise RecordError("roles: each needs an api (its identifier) and a role (its name)")
        roles.append((role["api"], role["role"]))
    groups = _list(data, "groups")
    if not all(isinstance(g, str) and 0 < len(g) <= 255 and "\x00" not in g for g in groups):
        raise RecordError("groups: each must be a group name")
    codes = _list(data, "recovery_codes")
    if len(codes) > MAX_RECOVERY_CODES:
        raise RecordError(f"recovery_codes: at most {MAX_RECOVERY_CODES}")
    plain, hashed = [], []
    for code in codes:
        if isinstance(code, str) and 0 < len(code) <= 64:
            plain.append(code)
        elif isinstance(code, dict) and re.fullmatch(r"[0-9a-f]{1,32}", str(code.get("salt"))) \
                and re.fullmatch(r"[0-9a-f]{64}", str(code.get("hash"))):
            hashed.append((code["salt"], code["hash"]))
        else:
            raise RecordError("recovery_codes: each is a code, or {salt, hash} as this IdP exports them")
    return ImportRecord(
        email=email, id=user_id, email_verified=_flag(data, "email_verified"), name=_text(data, "name", 255),
        disabled=_flag(data, "disabled"), password_hash=password_of(data.get("password"), allow_weak),
        totp_secret=_totp(data), recovery_codes=plain, recovery_hashes=hashed, identities=identities,
        groups=list(dict.fromkeys(groups)), roles=list(dict.fromkeys(roles)), created_at=_created_at(data),
        **_metadata(data, metadata_max_bytes))
