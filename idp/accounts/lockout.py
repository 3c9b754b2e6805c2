"""Brute-force protection: MAX_LOGIN_ATTEMPTS failures lock an account for ACCOUNT_LOCK_TIME_MS.

Counted in the ephemeral store (Redis), so every replica sees the same count and lock.
The key is the typed email, whether or not an account has it: an unknown email locks
exactly like a real one, so the lock reveals nothing about which accounts exist.
"""

from __future__ import annotations

import math
import time

from idp.plumbing.security import token_hash


class Lockout:
    def __init__(self, store, max_attempts: int, lock_time_ms: int):
        self.store = store
        self.max_attempts = max(1, max_attempts)
        self.lock_seconds = max(1.0, lock_time_ms / 1000)

    @staticmethod
    def _key(email: str) -> str:
        return token_hash("login:" + (email or "").strip().lower())[:40]

    def locked_for(self, email: str) -> int:
        """Seconds until the account may try again; 0 when it is not locked."""
        until = self.store.get("lock:" + self._key(email))
        remaining = float(until) - time.time() if until else 0
        return math.ceil(remaining) if remaining > 0 else 0

    def failure(self, email: str) -> int:
        """Count one failure; returns the lock's length in seconds when this failure locks, else 0."""
        key = self._key(email)
        failures = self.store.incr("fail:" + key, math.ceil(self.lock_seconds))
        if failures < self.max_attempts:
            return 0
        self.store.set("lock:" + key, str(time.time() + self.lock_seconds), math.ceil(self.lock_seconds))
        self.store.delete("fail:" + key)
        return math.ceil(self.lock_seconds)

    def success(self, email: str) -> None:
        self.store.delete("fail:" + self._key(email))

    def clear(self, email: str) -> None:
        """A password reset proves control of the mailbox: the lock has done its job."""
        key = self._key(email)
        self.store.delete("fail:" + key, "lock:" + key)
