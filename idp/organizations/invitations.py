"""Invitations to an organization (issue 33): an administrator (or the organization's own, limited
to it) invites an email with roles; the invitee gets a one-time link by email (through the mail
outbox, so a delivery outage only delays it), valid for `ttl`, and becomes a member on accepting it
while signed in with that email. The link's token is random (256 bits) and only its hash is stored;
accepting consumes it and makes the membership in one transaction (idp/store/organization_invitations.py).
"""

from __future__ import annotations

from idp.accounts import passwords
from idp.administration import DEFAULT_LIMIT, Actor, Page, check_limit, page_of
from idp.administration.apis import key_after, storable
from idp.administration.errors import Invalid, NotFound
from idp.administration.users import check_email
from idp.observability import audit
from idp.organizations.admin import OrganizationAdmin, check_roles
from idp.plumbing.security import hash_password, random_token, token_hash
from idp.store.errors import Conflict
from idp.store.models import utcnow
from idp.store.organization_invitations import InvitationView

DEFAULT_TTL, MAX_TTL = 7 * 86400, 30 * 86400
ACCEPT_PATH = "/invitations/accept"


class Refused(Exception):
    """The invitation cannot be accepted (unknown, expired, used, or meant for another email)."""


def invitation_document(invitation: InvitationView) -> dict:
    return {"id": invitation.id, "email": invitation.email, "expires_at": invitation.expires_at.isoformat() + "Z",
            "accepted": invitation.accepted, "roles": [{"api": a, "name": n} for a, n in invitation.roles]}


def _plain(text: str) -> str:
    """A name as a mail header and body may hold it: no control characters (no header injection)."""
    return "".join(c if c.isprintable() else " " for c in text)


class InvitationAdmin:
    def __init__(self, services):
        self.services = services
        self.invitations = services.invitations
        self.admin = OrganizationAdmin(services)

    def list(self, actor: Actor, organization_id: str, *, after: list | None = None,
             limit: int = DEFAULT_LIMIT) -> Page:
        check_limit(limit)
        org = self.admin.get(actor, organization_id)
        rows = self.invitations.page(org.id, after=key_after(after), limit=limit + 1)
        return page_of(rows, limit, lambda invitation: [invitation.id])

    def invite(self, actor: Actor, organization_id: str, fields) -> InvitationView:
        """{"email", "roles"?, "ttl"?}: the roles must exist now (they are checked again on acceptance:
        one deleted since is left out)."""
        org = self.admin.get(actor, organization_id)
        if not isinstance(fields, dict):
            raise Invalid({"body": "must be a JSON object"})
        errors = {name: "is not a member of this resource" for name in fields if name not in ("email", "roles", "ttl")}
        email = check_email(fields.get("email"), errors)
        ttl = fields.get("ttl", DEFAULT_TTL)
        if not (type(ttl) is int and 300 <= ttl <= MAX_TTL):
            errors["ttl"] = f"seconds, an integer from 300 to {MAX_TTL}"
        try:
            roles = check_roles(fields.get("roles", []))
        except Invalid as exc:
            errors.update(exc.errors)
            roles = []
        if errors:
            raise Invalid(errors)
        try:
            self.invitations.check_roles(roles)
        except LookupError as exc:
            raise Invalid({"roles": str(exc)}) from None
        token = random_token(32)
        invitation = self.invitations.create(org.id, email, roles, token_hash(token), ttl)
        link = f"{self.services.config.issuer}{ACCEPT_PATH}?token={token}"  # from ISSUER, never a Host header
        name, brand = _plain(org.name), _plain(self.services.config.brand_name)
        self.services.mailer.send(email, f"You are invited to join {name}",
                                  f"You are invited to join {name} on {brand}.\n\nOpen this link to accept "
                                  f"(it works once, until {invitation.expires_at:%Y-%m-%d %H:%M} UTC):\n{link}\n\n"
                                  "If you did not expect this invitation, ignore this message.\n", ttl)
        audit.record("organization.invitation_sent", actor=actor.label, organization_id=org.id,
                     organization=org.slug, invitation_id=invitation.id)
        return invitation

    def revoke(self, actor: Actor, organization_id: str, invitation_id: str) -> None:
        org = self.admin.get(actor, organization_id)
        if not (isinstance(invitation_id, str) and len(invitation_id) <= 36) \
                or not self.invitations.revoke(org.id, invitation_id):
            raise NotFound("invitation", str(invitation_id))
        audit.record("organization.invitation_revoked", actor=actor.label, organization_id=org.id,
                     invitation_id=invitation_id)


def pending(services, token: str) -> tuple[InvitationView, str]:
    """The invitation a link names and its organization's name; Refused when it cannot be accepted."""
    found = services.invitations.by_token_hash(token_hash(token)) if isinstance(token, str) \
        and 20 <= len(token) <= 64 else None
    if found is None or found.accepted:
        raise Refused("This invitation link is not valid or was already used.")
    if found.expires_at <= utcnow():
        raise Refused("This invitation has expired: ask for a new one.")
    org = services.organizations.get(found.organization_id)
    if org is None:
        raise Refused("This invitation link is not valid or was already used.")
    return found, org.name


def accept(services, token: str, user_id: str) -> str:
    """The signed-in user accepts: their email must be the invited one. Returns the organization's
    name. Refused (nothing changed) when the link is unknown, expired, used, or for another email."""
    invitation, name = pending(services, token)
    user = services.users.by_id(user_id)
    if user is None or user.email.lower() != invitation.email.lower():
        raise Refused(f"This invitation is for {invitation.email}: sign in with that address to accept it.")
    if services.invitations.accept(token_hash(token), user.id) is None:
        raise Refused("This invitation link is not valid or was already used.")
    audit.record("organization.invitation_accepted", user_id=user.id, organization_id=invitation.organization_id,
                 invitation_id=invitation.id)
    return name


def sign_up(services, token: str, name, password) -> tuple[str, str]:
    """An invitee without an account creates it from the link: the invited email, verified (the link
    reached it), with this name and password; then joins, all in one transaction. Returns (the new
    user's id, the organization's name). Invalid for a bad name or password (nothing written);
    Refused when the link cannot be used or an account with the email exists (sign in instead)."""
    invitation, org_name = pending(services, token)
    errors = {}
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > 255 or not storable(name) or not name.isprintable():
        errors["name"] = "1 to 255 printable characters"
    reason = passwords.problem(password, invitation.email) if isinstance(password, str) else passwords.TOO_SHORT
    if reason is not None:
        errors["password"] = reason
    if errors:
        raise Invalid(errors)
    if services.users.by_email(invitation.email) is not None:
        raise Refused(f"An account with {invitation.email} exists: sign in to accept the invitation.")
    try:
        done = services.invitations.accept_as_new_user(token_hash(token), invitation.email, hash_password(password),
                                                       name)
    except Conflict:  # created by a concurrent request
        raise Refused(f"An account with {invitation.email} exists: sign in to accept the invitation.") from None
    if done is None:
        raise Refused("This invitation link is not valid or was already used.")
    accepted, user_id = done
    audit.record("account.registered", user_id=user_id, via="invitation", organization_id=accepted.organization_id)
    audit.record("organization.invitation_accepted", user_id=user_id, organization_id=accepted.organization_id,
                 invitation_id=accepted.id)
    return user_id, org_name
