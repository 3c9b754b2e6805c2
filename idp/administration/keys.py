"""Signing keys as an administrator manages them (the admin API and `idp keys`): the
lifecycle itself is KeyManager's (idp/tokens/keys.py); this layer names the key an
operation acts on, refuses what does not apply, and audits every change (never key material)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from idp.administration import Actor
from idp.administration.errors import AdminError, Duplicate, Invalid, NotFound, PreconditionFailed
from idp.administration.key_import import parse_private_key, public_jwk
from idp.observability import audit
from idp.store.models import utcnow
from idp.tokens.keys import PUBLISHED_STATES, KeyExists, RotationTooEarly


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

    def public_jwk(self, kid) -> dict:
        """The key's public JWK (any state: a revoked key's is still public), never a private member."""
        try:
            # A NUL names no key, and PostgreSQL refuses even to compare a text holding one.
            found = self.keys.export(kid) if isinstance(kid, str) and len(kid) <= 64 and "\0" not in kid else None
        except KeyError:
            found = None
        if found is None:
            raise NotFound("key", str(kid)[:64])
        return public_jwk(found)

    def import_key(self, actor: Actor, *, jwk: dict | None = None, pem: str | None = None,
                   alg: str | None = None) -> str:
        """A private key (JWK or PEM; key_import.py says which) becomes its algorithm's `next` key,
        replacing the generated one (which never signed): published at once, signing from the next
        rotation, which waits the JWKS cache lifetime like any other. Returns its kid. Audited
        with the kid and algorithm only."""
        key_alg, private = parse_private_key(jwk, pem, alg)
        if key_alg not in self.keys.algs:  # a next key of another algorithm would never sign
            raise Invalid({"alg": f"{key_alg} is not one of the configured KEY_ALGORITHMS: "
                                  + ", ".join(self.keys.algs)})
        replaced = next((k.kid for k in self.list() if k.alg == key_alg and k.state == "next"), None)
        try:
            kid = self.keys.import_private_key(private)
        except KeyExists as exc:
            raise Duplicate("jwk" if jwk is not None else "pem", str(exc) + " (a revoked key is never taken back)") \
                from None
        audit.record("key.imported", actor=actor.label, alg=key_alg, kid=kid, replaced_next_kid=replaced)
        return kid

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
            kid = self.keys.rotate(alg, expected_current=previous, force=force)  # key.rotated: on_promoted
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
