"""What every console form with many fields shares: a declarative field (what the page renders, what
the request carries, which service field it sets), reading a submitted form into typed values
(the user's input kept as typed, to be shown again), and a service's refusal turned into one
message per form field — every wrong field at once, never the first only, and never a raw Python
value ("['a', 'b']", "None") in front of a person.

The page renders fields with templates/admin/_form.html (`error_summary`, `control`); a view reads
them with `submitted_values`, asks the service, and on `Invalid` maps `exc.errors` with `field_errors`.
"""

from __future__ import annotations

import dataclasses
import re

from flask import request

# kinds: text (one line), lines (one value a line -> list), bool (a checkbox), choice (a select, one of
# `choices`), choices (checkboxes, several of `choices`), json (a JSON text), int (digits)
KINDS = ("text", "lines", "bool", "choice", "choices", "json", "int", "mappings")  # mappings: claim=from[@scope] lines
MAX_TEXT = 8192


@dataclasses.dataclass(frozen=True)
class FormField:
    name: str  # the input's name (and id)
    label: str  # English, translated when shown
    kind: str = "text"
    sets: tuple[str, ...] = ()  # the service fields this input sets (default: its own name)
    hint: str = ""
    choices: str = ""  # for choice(s): the key of the page's choices (e.g. a service's allowed values)
    maxlength: int = MAX_TEXT
    creating_only: bool = False  # shown when creating only (cannot change afterwards)
    optional_choice: bool = True  # a choice may be left empty ("server default")

    def __post_init__(self):
        assert self.kind in KINDS, self.kind

    @property
    def service_fields(self) -> tuple[str, ...]:
        return self.sets or (self.name,)


def submitted_values(fields, form=None) -> dict:
    """Each field as the person typed it: text as text (cut at maxlength), checkboxes as booleans,
    several choices as a list; nothing is judged here (the service does, and says what is wrong)."""
    form = request.form if form is None else form
    values = {}
    for f in fields:
        if f.kind == "bool":
            values[f.name] = form.get(f.name) in ("y", "on", "true", "1")
        elif f.kind == "choices":
            values[f.name] = [v[:f.maxlength] for v in form.getlist(f.name) if v][:64]
        else:
            values[f.name] = form.get(f.name, "")[:f.maxlength]
    return values


def lines(text: str) -> list[str]:
    """One value a line (URIs, origins, contacts); blank lines dropped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def readable(value) -> str:
    """A value in words for a message: a list as "a, b", nothing as "" (never "None" or "['a']")."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(readable(v) for v in value)
    return str(value)


# What a Python repr of a list or None looks like inside a service's message: said again in words.
_REPR_LIST = re.compile(r"\[((?:'[^']*'(?:, )?)+)\]")


def plain(message) -> str:
    """A service's message made fit for a person: a quoted Python list becomes its items, "None" goes."""
    text = readable(message)
    text = _REPR_LIST.sub(lambda m: ", ".join(re.findall(r"'([^']*)'", m.group(1))), text)
    return re.sub(r"\bNone\b", "nothing", text)


def field_errors(errors: dict, fields, aliases: dict | None = None) -> dict[str, str]:
    """A service's `Invalid.errors` (service field -> why) as form field -> why. A service field that
    no input sets (a cross-field check, the body) is kept under its own name: the summary shows it."""
    owner = {service: f.name for f in fields for service in f.service_fields}
    owner.update(aliases or {})
    out: dict[str, str] = {}
    for service_field, why in errors.items():
        name = owner.get(str(service_field).split("[", 1)[0], str(service_field))
        out[name] = f"{out[name]}; {plain(why)}" if name in out else plain(why)
    return out
