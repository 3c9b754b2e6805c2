"""Import files, read as a stream of the project's own records (dictionaries of the jsonl schema).

Each reader yields (position, dictionary) or (position, RecordError): the position is the line of
a jsonl file, or the 1-based index of the user in a JSON export, so a report names the record an
operator must fix. Files are streamed (ijson for JSON documents), so memory stays flat whatever
the file's size.
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib
from collections.abc import Iterator

import ijson

from idp.migration import schemes
from idp.migration.records import RecordError

MAX_LINE = 256 * 1024
FORMATS = ("jsonl", "keycloak", "auth0")
# Roles every Keycloak realm gives every user: not roles an application granted.
KEYCLOAK_BUILTIN_ROLES = ("offline_access", "uma_authorization")


def read(path: str, fmt: str, roles_api: str | None = None) -> Iterator[tuple[int, dict | RecordError]]:
    if fmt == "jsonl":
        return read_jsonl(path)
    if fmt == "keycloak":
        return read_keycloak(path, roles_api)
    if fmt == "auth0":
        return read_auth0(path)
    raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")


def read_jsonl(path: str) -> Iterator[tuple[int, dict | RecordError]]:
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            if len(line) > MAX_LINE:
                yield number, RecordError(f"line longer than {MAX_LINE} bytes")
                continue
            try:
                yield number, json.loads(line)
            except (ValueError, RecursionError):
                yield number, RecordError("not a JSON object (malformed line)")


def _json_items(path: str, prefix: str) -> Iterator[tuple[int, dict | RecordError]]:
    with open(path, "rb") as handle:
        try:
            for number, item in enumerate(ijson.items(handle, prefix, use_float=True), 1):
                yield number, item
        except ijson.JSONError as exc:
            yield 0, RecordError(f"the file is not valid JSON: {str(exc)[:120]}")


# -- Keycloak: `kc.sh export --users realm_file | different_files` --------------------------------
def read_keycloak(path: str, roles_api: str | None) -> Iterator[tuple[int, dict | RecordError]]:
    """A realm file, or the folder `different_files` writes (<realm>-users-N.json files)."""
    files = sorted(pathlib.Path(path).glob("*-users-*.json")) if pathlib.Path(path).is_dir() else [pathlib.Path(path)]
    offset = 0
    for file in files:
        count = 0
        for number, item in _json_items(str(file), "users.item"):
            count = number
            if isinstance(item, RecordError):
                yield offset + number, item
                continue
            try:
                yield offset + number, keycloak_user(item, roles_api)
            except (RecordError, schemes.UnsupportedHash) as exc:
                yield offset + number, RecordError(str(exc))
        offset += count


def _kc_json(credential: dict, field: str) -> dict:
    value = credential.get(field) or "{}"
    try:
        parsed = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        raise RecordError(f"credential {field} is not JSON") from None
    if not isinstance(parsed, dict):
        raise RecordError(f"credential {field} is not an object")
    return parsed


def _kc_first(params: dict, name: str, default: str) -> str:
    value = params.get(name, [default])
    return str(value[0] if isinstance(value, list) and value else value)


def keycloak_password(credential: dict) -> str:
    """Keycloak's PasswordCredentialData/PasswordSecretData in the stored string form."""
    secret, data = _kc_json(credential, "secretData"), _kc_json(credential, "credentialData")
    algorithm, iterations = data.get("algorithm"), data.get("hashIterations")
    salt, value = schemes.b64encode(schemes.b64decode(str(secret.get("salt", "")))), str(secret.get("value", ""))
    digest = schemes.b64encode(schemes.b64decode(value))
    if algorithm in ("pbkdf2", "pbkdf2-sha256", "pbkdf2-sha512"):
        name = "pbkdf2-sha1" if algorithm == "pbkdf2" else algorithm
        return f"${name}$i={iterations}${salt}${digest}"
    if algorithm == "argon2":
        extra = data.get("additionalParameters") or {}
        kind = _kc_first(extra, "type", "id")
        version = 19 if _kc_first(extra, "version", "1.3") == "1.3" else 16
        return (f"$argon2{kind}$v={version}$m={_kc_first(extra, 'memory', '7168')},t={iterations},"
                f"p={_kc_first(extra, 'parallelism', '1')}${salt}${digest}")
    if algorithm == "bcrypt":  # the community bcrypt provider stores the modular-crypt string
        return value
    raise RecordError(f"Keycloak password algorithm {str(algorithm)[:32]!r} is not supported")


def keycloak_totp(credential: dict) -> str:
    """Keycloak keeps the OTP secret as text and gives apps its base32 form; only the parameters
    this IdP's TOTP uses (SHA-1, 6 digits, 30 s) can move without re-enrolment."""
    import base64

    data = _kc_json(credential, "credentialData")
    if (data.get("subType", "totp") != "totp" or data.get("digits", 6) != 6 or data.get("period", 30) != 30
            or data.get("algorithm", "HmacSHA1") != "HmacSHA1"):
        raise RecordError("Keycloak OTP credential: only TOTP with HmacSHA1, 6 digits, 30 s can be imported")
    value = str(_kc_json(credential, "secretData").get("value", ""))
    return base64.b32encode(value.encode()).decode().rstrip("=")


def keycloak_user(user: dict, roles_api: str | None) -> dict:
    if not isinstance(user, dict):
        raise RecordError("a Keycloak user must be an object")
    record = {"id": user.get("id"), "email": user.get("email") or user.get("username"),
              "email_verified": bool(user.get("emailVerified", False)),
              "disabled": not user.get("enabled", True)}
    name = " ".join(p for p in (user.get("firstName"), user.get("lastName")) if isinstance(p, str) and p)
    if name:
        record["name"] = name
    if isinstance(user.get("createdTimestamp"), (int, float)):
        record["created_at"] = dt.datetime.fromtimestamp(user["createdTimestamp"] / 1000, dt.timezone.utc).isoformat()
    for credential in user.get("credentials") or []:
        if credential.get("type") == "password":
            record["password"] = keycloak_password(credential)
        elif credential.get("type") == "otp":
            record["totp_secret"] = keycloak_totp(credential)
    record["identities"] = [{"provider": i.get("identityProvider"), "subject": i.get("userId")}
                            for i in user.get("federatedIdentities") or []]
    record["groups"] = [str(g).strip("/") for g in user.get("groups") or []]
    if roles_api:
        record["roles"] = [{"api": roles_api, "role": r} for r in user.get("realmRoles") or []
                           if r not in KEYCLOAK_BUILTIN_ROLES and not str(r).startswith("default-roles-")]
    return record


# -- Auth0: the bulk user import schema -----------------------------------------------------------
def read_auth0(path: str) -> Iterator[tuple[int, dict | RecordError]]:
    for number, item in _json_items(path, "item"):
        if isinstance(item, RecordError):
            yield number, item
            continue
        try:
            yield number, auth0_user(item)
        except (RecordError, schemes.UnsupportedHash) as exc:
            yield number, RecordError(str(exc))


def _decode(part: dict, name: str) -> bytes:
    """Auth0 gives each hash and salt with its encoding: hex, base64 or utf8."""
    value, encoding = part.get("value", ""), part.get("encoding", "utf8")
    if not isinstance(value, str):
        raise RecordError(f"custom_password_hash.{name}.value must be a string")
    if encoding == "hex":
        try:
            return bytes.fromhex(value)
        except ValueError:
            raise RecordError(f"custom_password_hash.{name} is not hex") from None
    if encoding == "base64":
        return schemes.b64decode(value)
    if encoding == "utf8":
        return value.encode()
    raise RecordError(f"custom_password_hash.{name}.encoding {str(encoding)[:16]!r} is not supported")


def auth0_password(custom: dict) -> str:
    algorithm, digest = custom.get("algorithm"), custom.get("hash") or {}
    salt = custom.get("salt") or {}
    if (custom.get("password") or {}).get("encoding", "utf8") != "utf8":
        raise RecordError("custom_password_hash: only utf8 password encoding is supported")
    if algorithm in ("bcrypt", "argon2", "pbkdf2"):  # Auth0 takes these as their own strings (PHC for pbkdf2)
        return str(digest.get("value", ""))
    if algorithm == "scrypt":
        cost = int(custom.get("cost", 16384))
        if cost & (cost - 1):
            raise RecordError("custom_password_hash.cost must be a power of two")
        return (f"$scrypt$ln={cost.bit_length() - 1},r={custom.get('blockSize', 8)},"
                f"p={custom.get('parallelization', 1)}${schemes.b64encode(_decode(salt, 'salt'))}$"
                f"{schemes.b64encode(_decode(digest, 'hash'))}")
    if algorithm in ("md5", "sha1", "sha256", "sha512"):
        return (f"$salted-{algorithm}$pos={salt.get('position', 'prefix')}$"
                f"{schemes.b64encode(_decode(salt, 'salt')) if salt else ''}${schemes.b64encode(_decode(digest, 'hash'))}")
    raise RecordError(f"custom_password_hash.algorithm {str(algorithm)[:16]!r} is not supported")


def auth0_user(user: dict) -> dict:
    if not isinstance(user, dict):
        raise RecordError("an Auth0 user must be an object")
    record = {"email": user.get("email"), "email_verified": bool(user.get("email_verified", False)),
              "disabled": bool(user.get("blocked", False))}
    if user.get("user_id") is not None:
        record["id"] = str(user["user_id"])
    name = user.get("name") or " ".join(p for p in (user.get("given_name"), user.get("family_name")) if p)
    if name:
        record["name"] = name
    if user.get("password_hash"):
        record["password"] = user["password_hash"]
    elif isinstance(user.get("custom_password_hash"), dict):
        record["password"] = auth0_password(user["custom_password_hash"])
    for factor in user.get("mfa_factors") or []:
        if isinstance(factor, dict) and isinstance(factor.get("totp"), dict):
            record["totp_secret"] = factor["totp"].get("secret")
    for kind in ("app_metadata", "user_metadata"):  # Auth0's own names (issue 35): checked by to_record
        if user.get(kind) is not None:
            record[kind] = user[kind]
    return record
