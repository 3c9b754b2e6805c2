"""Which organization an admin API client is limited to (issue 33): an operator's setting
(`idp clients create … --organization ORG`), never the client's own metadata, so neither dynamic
registration (RFC 7591 / 7592) nor an admin API client can set or lift it.

The limit is read from the database on every admin API request (never from a cache, so a limit
set by an operator holds from the next request on every replica); the sign-in settings (usage,
allowed organizations) are read on every authorization request, so they are cached under the
authorization version, which every change of a client's organization settings bumps.
"""

from __future__ import annotations

import dataclasses

from idp.administration import Actor

def client_settings(services, client_id: str) -> dict:
    """{usage, allowed, admin_organization} of a client, cached."""
    def compute():
        settings = services.organizations.client_settings(client_id)
        return {"usage": settings.usage, "allowed": list(settings.allowed), "restricted": settings.restricted,
                "admin_organization": settings.admin_organization}
    return services.authorization.shared("client-orgs:" + client_id, compute)


def confined(services, actor: Actor) -> Actor:
    """The actor with the organization it is limited to (None: the whole deployment). A client
    limited to an organization deleted since stays limited to it, and so finds nothing."""
    if actor.kind != "client":
        return actor
    limited = services.organizations.client_settings(actor.id).admin_organization
    return dataclasses.replace(actor, organization=limited) if limited else actor
