"""Signing keys as an administrator manages them (the admin API and `idp keys`): the
lifecycle itself is KeyManager's (idp/tokens/keys.py); this layer names the key an
operation acts on, refuses what does not apply, and audits every change (never key material)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from idp.administration import Actor
from idp.administration.errors import AdminError, Invalid, NotFound, PreconditionFailed
from idp.observability import audit
from idp.store.models import utcnow
from idp.tokens.keys import PUBLISHED_STATES, RotationTooEarly


class TooEarly(AdminError):
    """The next key is younger than the JWKS cache lifetime: relying parties may not know it yet
    (the admin API answers 409; force=True promotes it anyway)."""


@dataclasses.dataclass(frozen=True)
class KeyView:
    kid: str
    alg: str
    state: str  # next | current | retired | revoked
    created_at: dt.datetime
    promoted_at: dt.datetime | None
    retired_at: dt.datetime | None
    retire_until: dt.datetime | None

    @property
    def published(self) -> bool:
        """In the JWKS now: relying parties can verify what it signed."""
        return self.state in PUBLISHED_STATES and not (
            self.state == "retired" and self.retire_until is not None and self.retire_until <= utcnow())

    def as_dict(self) -> dict:
        def when(value):
            return value.isoformat(timespec="seconds") + "Z" if value else None

        return {"kid": self.kid, "alg": self.alg, "state": self.state, "published": self.published,
                "created_at": when(self.created_at), "promoted_at": when(self.promoted_at),
                "retired_at": when(self.retired_at), "retire_until": when(self.retire_until)}


class KeyAdmin:
    """Built on the services container (idp/services.py): `KeyAdmin(services)`."""

    def __init__(self, services):
        self.keys = services.keys

    def list(self) -> list[KeyView]:
        """Every stored key, by algorithm then age (public facts only)."""
        return [KeyView(row.kid, row.alg, row.state, row.created_at, row.promoted_at, row.retired_at,
                        row.retire_until) for row in self.keys.list_keys()]

    def current_kid(self, alg: str) -> str | None:
        try:
            return self.keys.signing_key(alg)[0]
        except RuntimeError:
            return None

    def rotate(self, actor: Actor, alg: str, expected_current: str | None = None, force: bool = False) -> str:
        """Promote alg's next key; returns the kid that signs now.

        Rotates the key that signs when asked (or expected_current): two administrators who both
        decided to rotate produce one rotation, and the second is told (PreconditionFailed).
        TooEarly when the next key is younger than the JWKS cache lifetime, unless force."""
        if alg not in self.keys.algs:  # rotating another would start signing with it (KEY_ALGORITHMS)
            raise Invalid({"alg": "one of the configured KEY_ALGORITHMS: " + ", ".join(self.keys.algs)})
        previous = expected_current if expected_current is not None else self.current_kid(alg)
        try:
            kid = self.keys.rotate(alg, expected_current=previous, force=force)
        except RotationTooEarly as exc:
            raise TooEarly(str(exc)) from None
        if kid is None:
            raise PreconditionFailed(f"{previous} no longer signs {alg}: the keys were rotated meanwhile")
        audit.record("key.rotated", actor=actor.label, alg=alg, kid=kid, previous_kid=previous, forced=force)
        return kid

    def retire(self, actor: Actor, kid: str) -> None:
        """Stop signing with kid now; keep publishing it until what it signed has expired."""
        self._end(actor, kid, "retire")

    def revoke(self, actor: Actor, kid: str) -> None:
        """Compromise: remove kid from the JWKS at once; every token it signed stops verifying."""
        self._end(actor, kid, "revoke")

    def _end(self, actor: Actor, kid: str, action: str) -> None:
        if not isinstance(kid, str) or len(kid) > 64 or not getattr(self.keys, action)(kid):
            raise NotFound("live key", str(kid))
        audit.record(f"key.{action}d", actor=actor.label, kid=kid)
