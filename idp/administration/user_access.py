"""A user's ways in, as administrators manage them (issue 15): browser sessions, second factors,
passkeys, linked upstream identities, the grants given to each client, and password-reset emails."""

from __future__ import annotations

from idp.administration import DEFAULT_LIMIT, Actor, Page, check_limit, check_version, page_of, version_of
from idp.administration.errors import Invalid, NotFound
from idp.administration.users import UserAdmin
from idp.events import types as events
from idp.observability import audit
from idp.store.user_grants import UserGrant, UserGrants


def grant_version(grant: UserGrant) -> str:
    return version_of(grant.client_id, grant.scopes, str(grant.consent_updated_at), grant.families)


def session_version(session) -> str:
    return version_of(session.handle, session.created)


def factors_version(factors: dict) -> str:
    return version_of(factors)


def _in_memory_page(items: list, key, after, limit: int) -> Page:
    """A page of a short list that lives outside SQL (a user's sessions in Redis, their few links)."""
    check_limit(limit)
    if after is not None and not (isinstance(after, list) and len(after) == 1 and isinstance(after[0], str)):
        raise Invalid({"cursor": "not a cursor of this list"})
    ordered = sorted(items, key=key)
    rest = [item for item in ordered if after is None or key(item) > after[0]]
    return page_of(rest[:limit + 1], limit, lambda item: [key(item)])


class UserAccess:
    def __init__(self, services):
        self.svc = services
        self.users = UserAdmin(services)
        self.grants_store = UserGrants(services.db)

    # -- sessions ------------------------------------------------------------------
    def sessions(self, user_id: str, after=None, limit: int = DEFAULT_LIMIT) -> Page:
        user = self.users.get(user_id)
        return _in_memory_page(self.svc.sessions.list(user.id), lambda s: s.handle, after, limit)

    def session(self, user_id: str, handle: str):
        for found in self.svc.sessions.list(self.users.get(user_id).id):
            if found.handle == handle:
                return found
        raise NotFound("session", handle)

    def end_session(self, actor: Actor, user_id: str, handle: str, version: str | None = None) -> None:
        check_version(version, session_version(self.session(user_id, handle)))
        if not self.svc.sessions.end(user_id, handle):
            raise NotFound("session", handle)
        audit.record("user.session_ended", user_id=user_id, actor=actor.label, session=handle)
        self.svc.events.emit_alone("session.ended", events.session_ended(user_id, "ended_by_admin"), user_id=user_id)

    def end_all_sessions(self, actor: Actor, user_id: str) -> int:
        """Sign the user out of every browser (a stolen laptop); relying parties are told by
        back-channel logout. No version: ending all sessions is the same decision however many exist."""
        user = self.users.get(user_id)
        ended = self.svc.sessions.end_all(user.id)
        audit.record("session.ended_by_admin", user_id=user.id, actor=actor.label, count=ended)
        self.svc.events.emit_alone("session.ended", events.session_ended(user.id, "ended_by_admin", ended),
                                   user_id=user.id)
        return ended

    # -- second factors --------------------------------------------------------------
    def second_factors(self, user_id: str) -> dict:
        user = self.users.get(user_id)
        return {"totp": self.svc.mfa.is_enrolled(user.id),
                "recovery_codes_left": self.svc.mfa.remaining_recovery_codes(user.id)}

    def remove_second_factors(self, actor: Actor, user_id: str, version: str | None = None) -> None:
        """The user signs in with their password alone until they enrol again (a lost phone)."""
        check_version(version, factors_version(self.second_factors(user_id)))
        had = self.svc.mfa.is_enrolled(user_id) or self.svc.mfa.remaining_recovery_codes(user_id) > 0
        self.svc.mfa.disable(user_id)
        self.svc.mfa.recovery.replace(user_id, [])
        audit.record("user.second_factors_removed", user_id=user_id, actor=actor.label)
        if had:  # the owner learns of it whichever surface the administrator used
            self.svc.authenticators.changed(self.svc.users.by_id(user_id), "second_factors_removed_by_admin")

    # -- passkeys ----------------------------------------------------------------------
    def passkeys(self, user_id: str) -> list:
        return self.svc.passkeys.for_user(self.users.get(user_id).id)

    def remove_passkeys(self, actor: Actor, user_id: str) -> int:
        """Every passkey of the user (a lost or stolen device): they sign in with their password, a reset
        email or a recovery code. No version: removing them all is the same decision however many exist.
        Returns how many were removed."""
        user = self.users.get(user_id)
        removed = self.svc.passkeys.remove_all(user.id)
        audit.record("passkey.removed_by_admin", user_id=user.id, actor=actor.label, count=removed)
        if removed:  # the owner learns of it whichever surface the administrator used
            self.svc.authenticators.changed(self.svc.users.by_id(user.id), "passkeys_removed_by_admin")
        return removed

    # -- upstream identities -----------------------------------------------------------
    def identities(self, user_id: str, after=None, limit: int = DEFAULT_LIMIT) -> Page:
        user = self.users.get(user_id)
        return _in_memory_page(self.svc.federated.for_user(user.id), lambda i: f"{i.provider}:{i.subject}",
                               after, limit)

    # -- grants --------------------------------------------------------------------------
    def grants(self, user_id: str, after=None, limit: int = DEFAULT_LIMIT) -> Page:
        check_limit(limit)
        user = self.users.get(user_id)
        if after is not None and not (isinstance(after, list) and len(after) == 1 and isinstance(after[0], str)):
            raise Invalid({"cursor": "not a cursor of this list"})
        rows = self.grants_store.page(user.id, after[0] if after else None, limit + 1)
        return page_of(rows, limit, lambda grant: [grant.client_id])

    def grant(self, user_id: str, client_id: str) -> UserGrant:
        grant = self.grants_store.get(self.users.get(user_id).id, client_id) if len(client_id) <= 64 else None
        if grant is None:
            raise NotFound("grant to client", client_id)
        return grant

    def revoke_grant(self, actor: Actor, user_id: str, client_id: str, version: str | None = None) -> None:
        """Forget the consent (the client asks again) and revoke its refresh families and their access tokens."""
        grant = self.grant(user_id, client_id)
        check_version(version, grant_version(grant))
        for family_id in grant.families:
            self.svc.tokens.revoke_grant(family_id)
        with self.svc.events.change():  # the consent forgotten and grant.revoked commit together
            self.grants_store.forget_consent(user_id, client_id)
            self.svc.events.emit("grant.revoked", events.grant_revoked(user_id, client_id), user_id=user_id)
        audit.record("user.grant_revoked", user_id=user_id, client_id=client_id, actor=actor.label,
                     scopes=list(grant.scopes), grants_revoked=len(grant.families))

    # -- password reset ------------------------------------------------------------------
    def send_password_reset(self, actor: Actor, user_id: str) -> None:
        user = self.users.get(user_id)
        if user.disabled:
            raise Invalid({"disabled": "the user is disabled: enable them first"})
        self.svc.accounts.send_password_reset(self.svc.users.by_id(user.id))
        audit.record("user.password_reset_sent", user_id=user.id, actor=actor.label)
