"""The password policy (OWASP ASVS 2.1): at least 12 characters, at most 128, and not one of
the 30,000 most common passwords shipped in idp/data (nor one of them repeated or with digits
or symbols appended). No composition rules: ASVS 2.1.9 forbids them.
"""

from __future__ import annotations

import functools
import gzip
import os
import re

MIN_LENGTH = 12
MAX_LENGTH = 128
_LIST = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "common-passwords.txt.gz")
_TRAILING = re.compile(r"[\d\W_]+$")

# Messages are the i18n catalogue's keys (idp/i18n/fr.py).
TOO_SHORT = "Use at least 12 characters."
TOO_LONG = "Use at most 128 characters."
TOO_COMMON = "This password is too common. Choose something harder to guess, such as a few unrelated words."
SAME_AS_EMAIL = "Do not use your email address as your password."


@functools.cache
def common_passwords() -> frozenset[str]:
    with gzip.open(_LIST, "rt", encoding="utf-8") as handle:
        return frozenset(line.rstrip("\n") for line in handle if line.strip() and not line.startswith("#"))


def _candidates(password: str) -> set[str]:
    lowered = password.lower()
    found = {lowered, _TRAILING.sub("", lowered)}
    for size in range(1, len(lowered) // 2 + 1):  # "passwordpassword", "abcabcabcabc"
        if len(lowered) % size == 0 and lowered[:size] * (len(lowered) // size) == lowered:
            found.add(lowered[:size])
            break
    return {c for c in found if c}


def problem(password: str, email: str = "") -> str | None:
    """None when the password is acceptable, else the reason (a catalogue message)."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    if email and password.strip().lower() in (email.strip().lower(), email.split("@")[0].lower()):
        return SAME_AS_EMAIL
    candidates = _candidates(password)
    if candidates & common_passwords() or any(len(set(c)) < 3 for c in candidates):
        return TOO_COMMON
    return None
