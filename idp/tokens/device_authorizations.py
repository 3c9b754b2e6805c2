"""Device authorizations (RFC 8628) in the ephemeral store, shared by the device
authorization endpoint, the device_code grant and the user-code page.

Keys (all with a TTL): the request itself, immutable, under the device code's hash;
the user code pointing to it; the user's decision; the polling state; the
redemption marker. Separate keys, so a decision and a poll never overwrite each other.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time

from idp.plumbing.security import token_hash

USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"  # RFC 8628 6.1: no vowels, no look-alikes
GRACE = 600  # an expired request is remembered this long, to answer expired_token rather than invalid_grant


@dataclasses.dataclass
class DeviceRequest:
    device_key: str
    client_id: str
    scope: str
    user_code: str
    expires_at: int
    interval: int
    resources: list = dataclasses.field(default_factory=list)  # RFC 8707: the APIs asked for

    # authlib's DeviceCredentialMixin
    def get_client_id(self):
        return self.client_id

    def get_scope(self):
        return self.scope

    def get_user_code(self):
        return self.user_code

    def is_expired(self):
        return self.expires_at <= time.time()


def normalize_user_code(value: str) -> str | None:
    """What a person typed -> XXXX-XXXX, ignoring case, spaces and dashes (RFC 8628 6.1)."""
    letters = re.sub(r"[\s-]", "", (value or "").upper())
    if len(letters) != 8 or any(c not in USER_CODE_ALPHABET for c in letters):
        return None
    return f"{letters[:4]}-{letters[4:]}"


class DeviceStore:
    def __init__(self, store):
        self.store = store

    def create(self, device_code: str, user_code: str, client_id: str, scope: str, ttl: int, interval: int,
               resources: list | None = None) -> None:
        key = token_hash(device_code)
        record = DeviceRequest(key, client_id, scope, user_code, int(time.time()) + ttl, interval, resources or [])
        if not self.store.add("devuser:" + user_code, key, ttl):
            raise ValueError("user code collision")
        self.store.set("device:" + key, json.dumps(dataclasses.asdict(record)), ttl + GRACE)

    def _load(self, key: str | None) -> DeviceRequest | None:
        raw = self.store.get("device:" + key) if key else None
        return DeviceRequest(**json.loads(raw)) if raw else None

    def by_device_code(self, device_code: str) -> DeviceRequest | None:
        if not device_code or len(device_code) > 128:
            return None
        return self._load(token_hash(device_code))

    def by_user_code(self, user_code: str) -> DeviceRequest | None:
        """A pending, unexpired request for a normalized user code."""
        request = self._load(self.store.get("devuser:" + user_code))
        if request is None or request.is_expired() or self.decision(request) is not None:
            return None
        return request

    def decide(self, request: DeviceRequest, decision: dict) -> bool:
        """Record the user's decision once; the user code stops working."""
        ttl = max(1, request.expires_at - int(time.time())) + GRACE
        if not self.store.add("devdecision:" + request.device_key, json.dumps(decision), ttl):
            return False
        self.store.delete("devuser:" + request.user_code)
        return True

    def decision(self, request: DeviceRequest) -> dict | None:
        raw = self.store.get("devdecision:" + request.device_key)
        return json.loads(raw) if raw else None

    def polled_too_fast(self, request: DeviceRequest) -> bool:
        """RFC 8628 3.5 slow_down: polling faster than the interval adds 5 s to it, from then on."""
        key = "devpoll:" + request.device_key
        now = time.time()
        state = json.loads(self.store.get(key) or "{}")
        interval = state.get("interval", request.interval)
        too_fast = "at" in state and now - state["at"] < interval
        if too_fast:
            interval += 5
        self.store.set(key, json.dumps({"at": now, "interval": interval}), max(1, request.expires_at - int(now)) + GRACE)
        return too_fast

    def redeem(self, request: DeviceRequest) -> bool:
        """True exactly once per device code."""
        return self.store.add("devredeemed:" + request.device_key, "1", max(1, request.expires_at - int(time.time())) + GRACE)
