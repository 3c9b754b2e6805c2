"""Checking a password against whatever hash a user has: the IdP's own argon2id, or one
imported from another system (idp/migration/schemes.py), which the first successful sign-in
replaces with argon2id (`Verdict.upgrade`).

Every place that checks a password (the login page, re-authentication for a second factor, a
password change) comes here, so an imported user is never refused by one of them and accepted by
another.
"""

from __future__ import annotations

import dataclasses

from idp.migration import schemes
from idp.plumbing.security import password_needs_rehash, verify_password

NATIVE = ("argon2id", "argon2i", "argon2d")


@dataclasses.dataclass(frozen=True)
class Verdict:
    ok: bool
    upgrade: bool  # the password is right and its hash is not the IdP's current argon2id


def check(stored: str | None, password: str) -> Verdict:
    """Unknown users (stored None) still cost one argon2 verification, as before."""
    if stored is None or schemes.scheme_of(stored) in NATIVE:
        ok = verify_password(stored, password)
        return Verdict(ok, ok and password_needs_rehash(stored))
    ok = schemes.verify(password, stored)
    return Verdict(ok, ok)


def verify(stored: str | None, password: str) -> bool:
    return check(stored, password).ok
