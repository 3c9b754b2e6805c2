"""Administrators (who may enter the web console, /admin) as they are granted and revoked: the
admin API's /admins, `idp admins` (issue 15). Granting is idempotent; the last administrator is
never revoked (nobody could enter the console to make another without a shell). Every change is
audited with the actor."""

from __future__ import annotations

from idp.administration import DEFAULT_LIMIT, Actor, Page, check_limit, check_version, page_of, version_of
from idp.administration.errors import Conflict, Invalid, NotFound
from idp.observability import audit
from idp.store.administrators import AdministratorView


def administrator_version(admin: AdministratorView) -> str:
    return version_of(admin.user_id, admin.granted_at.isoformat(), admin.granted_by)


class AdministratorAdmin:
    """Built on the services container (idp/services.py): `AdministratorAdmin(services)`."""

    def __init__(self, services):
        self.svc = services
        self.administrators = services.administrators

    def as_dict(self, admin: AdministratorView) -> dict:
        """With second_factor: without one, the administrator cannot enter the console yet."""
        return {"user_id": admin.user_id, "email": admin.email,
                "granted_at": admin.granted_at.isoformat(timespec="seconds") + "Z", "granted_by": admin.granted_by,
                "second_factor": self.svc.mfa.is_enrolled(admin.user_id)}

    def list(self, *, after: list | None = None, limit: int = DEFAULT_LIMIT) -> Page:
        check_limit(limit)
        if after is not None and not (isinstance(after, list) and len(after) == 1 and isinstance(after[0], str)
                                      and len(after[0]) <= 36):
            raise Invalid({"cursor": "not a cursor of this list"})
        rows = self.administrators.page(after[0] if after else None, limit + 1)
        return page_of(rows, limit, lambda admin: [admin.user_id])

    def get(self, user_id) -> AdministratorView:
        found = self.administrators.get(user_id) if isinstance(user_id, str) and len(user_id) <= 36 else None
        if found is None:
            raise NotFound("administrator", str(user_id)[:36])
        return found

    def grant(self, actor: Actor, user_id) -> tuple[AdministratorView, bool]:
        """(the administrator, True when made now; False when they already were)."""
        user = self.svc.users.by_id(user_id) if isinstance(user_id, str) and len(user_id) <= 36 else None
        if user is None:
            raise NotFound("user", str(user_id)[:36])
        made = self.administrators.grant(user.id, granted_by=actor.label)
        if made:
            audit.record("admin.granted", user_id=user.id, actor=actor.label)
        return self.get(user.id), made

    def revoke(self, actor: Actor, user_id, expected_version: str | None = None) -> None:
        """Takes the console away at once on every replica; Conflict for the last administrator."""
        admin = self.get(user_id)
        check_version(expected_version, administrator_version(admin))
        outcome = self.administrators.revoke_unless_last(admin.user_id)
        if outcome == "absent":  # revoked meanwhile
            raise NotFound("administrator", admin.user_id)
        if outcome == "last":
            raise Conflict(f"{admin.email} is the last administrator: grant another one first")
        audit.record("admin.revoked", user_id=admin.user_id, actor=actor.label)
