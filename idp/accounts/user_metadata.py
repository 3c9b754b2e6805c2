"""A user's metadata (issue 35): two JSON objects claim mappings may put in tokens
(idp/apis/claim_mappings.py).

* `app_metadata`: what the operator's systems know (plan, tenant, flags). Only administrators set
  it (admin API, console, CLI, import); no page of the user's reaches it.
* `user_metadata`: also the user's own, through the account page, but only the members the operator
  declares (USER_METADATA_FIELDS: name, type, label), each checked against its type.

Every entry checks here: an object (or null: none), at most USER_METADATA_MAX_BYTES bytes of compact
JSON (RFC 8259), nested at most MAX_DEPTH deep (idp/plumbing/json_input.py's walk), keys and text
the database can hold, no NaN or Infinity (not JSON).
"""

from __future__ import annotations

import json

from idp.plumbing import json_input

KINDS = ("app_metadata", "user_metadata")
DEFAULT_MAX_BYTES = 16 * 1024  # USER_METADATA_MAX_BYTES's default
MAX_DEPTH = 10
MAX_TEXT_FIELD = 200  # characters of a string member edited on the account page


class InvalidMetadata(ValueError):
    """Metadata that breaks a rule; the message says which."""


def serialised(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def check_metadata(value, max_bytes: int) -> dict | None:
    """The metadata as stored (None for null or {}), or InvalidMetadata."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidMetadata("must be a JSON object (or null)")
    if not json_input.within_depth(value, MAX_DEPTH):
        raise InvalidMetadata(f"is nested more than {MAX_DEPTH} levels deep")
    try:
        text = serialised(value)
        size = len(text.encode("utf-8"))
    except (ValueError, TypeError, UnicodeEncodeError):
        raise InvalidMetadata("must hold JSON values only (no NaN, Infinity or lone surrogates)") from None
    if "\\u0000" in text or "\0" in text:
        raise InvalidMetadata("must not hold a NUL character")
    if size > max_bytes:
        raise InvalidMetadata(f"is {size} bytes of JSON; at most {max_bytes}")
    return value or None


def field_value(kind: str, raw: str | None):
    """A value typed on the account page as the declared field's type; None clears the member.
    ValueError when it is not one of that type."""
    raw = (raw or "").strip()
    if kind == "boolean":
        return raw in ("on", "true", "1")
    if not raw:
        return None
    if kind == "number":
        number = float(raw)
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(raw)
        return int(number) if number.is_integer() and abs(number) < 2 ** 53 else number
    if len(raw) > MAX_TEXT_FIELD or any(ord(c) < 32 or ord(c) == 127 for c in raw):
        raise ValueError(raw)
    return raw


def with_fields(current: dict | None, fields: tuple, form: dict) -> tuple[dict, list[str]]:
    """`current` user_metadata with the declared `fields` ((name, type, label)) set from `form`;
    members nobody declared are kept as they are and never taken from the form. Returns the new
    object and the labels of the fields whose value was not of their type."""
    updated, wrong = dict(current or {}), []
    for name, kind, label in fields:
        try:
            value = field_value(kind, form.get(name))
        except ValueError:
            wrong.append(label)
            continue
        if value is None:
            updated.pop(name, None)
        else:
            updated[name] = value
    return updated, wrong


def save_own_fields(users, user_id: str, fields: tuple, form: dict, max_bytes: int) -> list[str]:
    """The account page's write: the user's declared user_metadata members from `form`, nothing else
    (app_metadata and undeclared members are never read from the form). A compare-and-set on the
    row, so a concurrent administrator's change is not undone; the user snapshot is replaced, so
    the next token carries the change. Returns the labels of wrong fields ([] when saved); raises
    InvalidMetadata when the result would break the bounds, and ValueError("changed") when the row
    changed meanwhile."""
    record = users.record(user_id)
    if record is None:
        raise ValueError("changed")
    updated, wrong = with_fields(record.user_metadata, fields, form)
    if wrong:
        return wrong
    updated = check_metadata(updated, max_bytes)
    if updated == (record.user_metadata or None):
        return []
    if not users.update_if_unchanged(user_id, record.updated_at, user_metadata=updated):
        raise ValueError("changed")
    return []
