"""A client's organization settings (issue 33), which only an operator sets: `usage` (none: the
client signs in no organization; allow: the request may name one; require: it must, and the user
picks one otherwise), the organizations it may sign users in to (none listed: any), and, for an
admin API client, the one organization it administers (delegated administration).

They are kept out of the client's metadata on purpose: dynamic registration (RFC 7591), its
management (RFC 7592) and admin API clients edit metadata, and none of them may lift a limit.
"""

from __future__ import annotations

from idp.administration import Actor
from idp.administration.errors import Invalid, NotFound
from idp.observability import audit
from idp.organizations.admin import OrganizationAdmin
from idp.store.organizations import ClientSettings

USAGES = ("none", "allow", "require")


def settings_document(settings: ClientSettings) -> dict:
    return {"organization_usage": settings.usage,
            "allowed_organizations": list(settings.allowed) if settings.restricted else None,
            "admin_organization": settings.admin_organization}


class ClientOrganizationAdmin:
    def __init__(self, services):
        self.services = services
        self.orgs = OrganizationAdmin(services)

    def get(self, actor: Actor, client_id: str) -> ClientSettings:
        self._operator(actor, client_id)
        return self.services.organizations.client_settings(client_id)

    def configure(self, actor: Actor, client_id: str, *, usage: str | None = None, allowed: list | None = None,
                  admin_organization: str | None = None) -> ClientSettings:
        """Each argument given replaces that setting; organizations are named by id or slug. Every
        name is resolved before anything is written, so a typo changes nothing."""
        self._operator(actor, client_id)
        if usage is not None and usage not in USAGES:
            raise Invalid({"organization_usage": " or ".join(USAGES)})
        allowed_ids = [self.orgs.get(actor, name).id for name in allowed] if allowed is not None else None
        admin_id = self.orgs.get(actor, admin_organization).id if admin_organization is not None else None
        settings = self.services.organizations.set_client_settings(client_id, usage=usage, allowed=allowed_ids,
                                                                   admin_organization=admin_id)
        audit.record("client.organizations_set", actor=actor.label, client_id=client_id,
                     organization_id=settings.admin_organization, **settings_document(settings))
        return settings

    def _operator(self, actor: Actor, client_id: str) -> None:
        if actor.kind != "operator" or self.services.clients.get(client_id) is None:
            raise NotFound("client", str(client_id))
