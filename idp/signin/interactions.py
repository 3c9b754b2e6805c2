"""An interaction: one authorization request waiting for the user to log in or consent.

The request's parameters stay server-side under a random id, so the login and
consent pages carry only that id, and a resumed request is exactly the one the
relying party sent.
"""

from __future__ import annotations

import json
import time

from idp.plumbing.context import services
from idp.plumbing.security import random_token


def create(params: dict) -> str:
    interaction_id = random_token(24)
    save(interaction_id, {"params": params, "created": int(time.time())})
    return interaction_id


def load(interaction_id: str | None) -> dict | None:
    if not interaction_id or len(interaction_id) > 64:
        return None
    raw = services().store.get("interaction:" + interaction_id)
    return json.loads(raw) if raw else None


def save(interaction_id: str, data: dict) -> None:
    svc = services()
    svc.store.set("interaction:" + interaction_id, json.dumps(data), svc.config.interaction_ttl)


def finish(interaction_id: str) -> None:
    services().store.delete("interaction:" + interaction_id)
