"""Lazy migration: the replaced service checks the password of a user this IdP does not know yet.

For teams that cannot export hashes. When a sign-in names an unknown email and LEGACY_LOGIN_URL
is set, the IdP POSTs {"email", "password"} as JSON there (TLS; plain http only on loopback) with
`Authorization: Bearer LEGACY_LOGIN_SECRET`:
- 200 with the user's profile ({"id", "email", "email_verified", "name"}): the user is created
  here with the legacy id (so relying parties keep their subject) and the IdP's own argon2id
  hash of the password just verified; the legacy service is never asked about them again;
- 401: a wrong password, answered like any other;
- anything else (a timeout, a 5xx, a malformed body): a temporary failure that creates nothing
  and counts no failed attempt against the account.
docs/migration.md has a minimal adapter for the replaced NestJS service's /auth/login.
"""

from __future__ import annotations

import dataclasses
import json
import logging

import requests

from idp.migration.records import RecordError, to_record

log = logging.getLogger("idp.migration")


@dataclasses.dataclass(frozen=True)
class LegacyAnswer:
    profile: dict | None = None  # the user to create
    wrong_password: bool = False
    unavailable: bool = False


class LegacyLogin:
    MAX_BODY = 64 * 1024

    def __init__(self, url: str, secret: str, timeout: float):
        self.url, self.secret, self.timeout = url, secret, timeout
        self.http = requests.Session()

    def check(self, email: str, password: str) -> LegacyAnswer:
        try:
            response = self.http.post(self.url, json={"email": email, "password": password}, timeout=self.timeout,
                                      headers={"Authorization": f"Bearer {self.secret}"}, allow_redirects=False,
                                      stream=True)
            body = response.raw.read(self.MAX_BODY + 1, decode_content=True)
        except requests.RequestException as exc:
            log.warning("legacy login unavailable: %s", type(exc).__name__)
            return LegacyAnswer(unavailable=True)
        if response.status_code == 401:
            return LegacyAnswer(wrong_password=True)
        if response.status_code != 200 or len(body) > self.MAX_BODY:
            log.warning("legacy login answered %s: treated as unavailable", response.status_code)
            return LegacyAnswer(unavailable=True)
        try:
            data = json.loads(body)
            record = to_record({k: data.get(k) for k in ("id", "email", "email_verified", "name")
                                if data.get(k) is not None})
        except (ValueError, RecordError, AttributeError) as exc:
            log.warning("legacy login profile refused: %s", str(exc)[:120])
            return LegacyAnswer(unavailable=True)
        if record.email != email.strip().lower():
            log.warning("legacy login answered for another email: treated as unavailable")
            return LegacyAnswer(unavailable=True)
        return LegacyAnswer(profile={"id": record.id, "email": record.email, "name": record.name,
                                     "email_verified": record.email_verified})


def from_config(config) -> LegacyLogin | None:
    if not config.legacy_login_url:
        return None
    return LegacyLogin(config.legacy_login_url, config.legacy_login_secret, config.legacy_login_timeout)


def move_in(users, legacy: LegacyLogin, email: str, password: str, hash_password) -> tuple[object | None, bool]:
    """(the user created from the legacy service's answer or None, whether it was unavailable)."""
    from idp.store.errors import Conflict

    answer = legacy.check(email, password)
    if answer.profile is None:
        return None, answer.unavailable
    profile = answer.profile
    try:
        user = users.create(profile["email"], hash_password(password), profile["name"],
                            email_verified=profile["email_verified"], user_id=profile["id"])
    except Conflict:
        # The legacy id or email is taken here already (an import made it): never merge by guess.
        log.warning("legacy login: user %s cannot be created here (id or email taken)", profile["id"])
        return None, True
    return user, False
