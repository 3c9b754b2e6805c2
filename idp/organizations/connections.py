"""An organization's enterprise connections (issue 33): its own upstream OpenID Connect issuer (by
discovery) or a Google / GitHub / LinkedIn app with the organization's own client credentials,
administered through the admin API (/organizations/{id}/connections) and `idp orgs connections`.

Every entry validates here: the kind, the label, the client id and secret, and the discovery URL
(idp/plumbing/web_urls.py through the client policy's url_problem: a strict host, https except
loopback; stored as re-serialised). The secret is write-only: encrypted at rest by the store and
never in any answer (`client_secret_set` says one is there). Tenant isolation is OrganizationAdmin's:
a connection of another organization is NotFound, exactly like that organization.

The connector a connection signs in with is idp/federation/guarded.py's: the URLs are the
organization administrator's, so every upstream request goes through the outbound SSRF guard.
"""

from __future__ import annotations

import threading

from idp.administration import DEFAULT_LIMIT, Actor, Page, check_limit, check_version, page_of, version_of
from idp.administration.apis import key_after, storable, text
from idp.administration.client_policy import url_problem
from idp.administration.errors import Invalid, NotFound, PreconditionFailed
from idp.config import ProviderConfig
from idp.config.providers import PROVIDER_DEFAULTS
from idp.federation.guarded import GUARDED_KINDS, guarded_connector
from idp.observability import audit
from idp.organizations.admin import OrganizationAdmin
from idp.plumbing.web_urls import parse_web_url
from idp.store.errors import StaleVersion
from idp.store.organization_connections import ConnectionView

KINDS = tuple(GUARDED_KINDS)  # oidc, google, linkedin, github
MEMBERS = ("kind", "label", "client_id", "client_secret", "discovery_url")
MAX_SECRET = 1024
CALLBACK_PATH = "/federation/connections/{id}/callback"


def connection_version(connection: ConnectionView) -> str:
    return version_of("connection", connection.id, connection.version)


def callback_url(issuer: str, connection_id: str) -> str:
    """The redirect URI to register at the upstream (from ISSUER, never a Host header)."""
    return issuer + CALLBACK_PATH.format(id=connection_id)


def connection_document(connection: ConnectionView, issuer: str) -> dict:
    """Never the client secret: only that one is set."""
    return {"id": connection.id, "organization_id": connection.organization_id, "kind": connection.kind,
            "label": connection.label, "client_id": connection.client_id, "discovery_url": connection.discovery_url,
            "client_secret_set": True, "callback_url": callback_url(issuer, connection.id)}


def check_connection(fields, kind: str | None = None, required: tuple = ()) -> dict:
    """Every wrong member at once. kind: the stored one on an update (it cannot change)."""
    if not isinstance(fields, dict):
        raise Invalid({"body": "must be a JSON object"})
    errors = {name: "is not a member of this resource" for name in fields if name not in MEMBERS}
    errors.update({name: "is required" for name in required if name not in fields})
    out = {}
    if "kind" in fields:
        if kind is not None and fields["kind"] != kind:
            errors["kind"] = "cannot change: delete the connection and create another"
        elif fields["kind"] not in KINDS:
            errors["kind"] = "one of " + ", ".join(KINDS)
        else:
            kind = out["kind"] = fields["kind"]
    for name, limit in (("label", 255), ("client_id", 255), ("client_secret", MAX_SECRET)):
        if name in fields:
            text(errors, name, fields[name], limit)
            if name not in errors:  # a secret is kept exactly as the provider issued it
                out[name] = fields[name] if name == "client_secret" else fields[name].strip()
    if "discovery_url" in fields:
        value = fields["discovery_url"]
        if kind not in (None, "oidc"):
            errors["discovery_url"] = "only for kind oidc (the others use their provider's)"
        elif (problem := url_problem(value, fragment=False) if isinstance(value, str) else "not a string"):
            errors["discovery_url"] = f"an https URL of the issuer's discovery document ({problem})"
        else:
            out["discovery_url"] = parse_web_url(value).url
    elif kind == "oidc" and "kind" in required:
        errors["discovery_url"] = "is required for kind oidc"
    if errors:
        raise Invalid(errors)
    if "kind" in out and "label" not in out:
        out["label"] = PROVIDER_DEFAULTS.get(out["kind"], {}).get("label", "Single sign-on")
    return out


class ConnectionAdmin:
    def __init__(self, services):
        self.services = services
        self.connections = services.org_connections
        self.admin = OrganizationAdmin(services)

    def _issuer(self) -> str:
        return self.services.config.issuer

    def document(self, connection: ConnectionView) -> dict:
        return connection_document(connection, self._issuer())

    def list(self, actor: Actor, organization_id: str, *, after: list | None = None,
             limit: int = DEFAULT_LIMIT) -> Page:
        check_limit(limit)
        org = self.admin.get(actor, organization_id)
        rows = self.connections.page(org.id, after=key_after(after), limit=limit + 1)
        return page_of(rows, limit, lambda connection: [connection.id])

    def get(self, actor: Actor, organization_id: str, connection_id) -> ConnectionView:
        """NotFound for an organization outside the actor's, and for a connection of another one."""
        org = self.admin.get(actor, organization_id)
        found = self.connections.get(connection_id) if isinstance(connection_id, str) \
            and len(connection_id) <= 32 and storable(connection_id) else None
        if found is None or found.organization_id != org.id:
            raise NotFound("connection", str(connection_id).replace("\0", ""))
        return found

    def create(self, actor: Actor, organization_id: str, fields) -> ConnectionView:
        org = self.admin.get(actor, organization_id)
        fields = check_connection(fields, required=("kind", "client_id", "client_secret"))
        connection = self.connections.create(org.id, **fields)
        audit.record("organization.connection_created", actor=actor.label, organization_id=org.id,
                     organization=org.slug, connection_id=connection.id, kind=connection.kind)
        return connection

    def update(self, actor: Actor, organization_id: str, connection_id: str, changes,
               version: str | None = None) -> ConnectionView:
        """A merge patch of label, client_id, client_secret and discovery_url (the kind stays)."""
        current = self.get(actor, organization_id, connection_id)
        changes = check_connection(changes, kind=current.kind)
        check_version(version, connection_version(current))
        try:
            connection = self.connections.update(current.id, current.version, **changes)
        except StaleVersion:
            raise PreconditionFailed() from None
        if connection is None:
            raise NotFound("connection", connection_id)
        audit.record("organization.connection_updated", actor=actor.label, organization_id=current.organization_id,
                     connection_id=current.id, changed=sorted(changes))
        return connection

    def delete(self, actor: Actor, organization_id: str, connection_id: str, version: str | None = None) -> None:
        """The users who signed in through it keep their accounts and memberships; their link to it goes
        (the next connection of the organization is another provider: they link again by signing in)."""
        current = self.get(actor, organization_id, connection_id)
        check_version(version, connection_version(current))
        try:
            deleted = self.connections.delete(current.id, current.version)
        except StaleVersion:
            raise PreconditionFailed() from None
        if not deleted:
            raise NotFound("connection", connection_id)
        audit.record("organization.connection_deleted", actor=actor.label, organization_id=current.organization_id,
                     connection_id=current.id)


# -- the connector a connection signs in with ---------------------------------------------------
_CONNECTORS: dict[tuple[str, int], object] = {}  # (id, version) -> connector: discovery and JWKS cached
_LOCK = threading.Lock()
MAX_CACHED = 256


def provider_of(connection: ConnectionView, issuer: str) -> ProviderConfig:
    defaults = PROVIDER_DEFAULTS.get(connection.kind, {})
    return ProviderConfig(
        name=connection.id, kind=connection.kind, label=connection.label, client_id=connection.client_id,
        client_secret=connection.secret(), callback_url=callback_url(issuer, connection.id),
        discovery_url=connection.discovery_url or defaults.get("discovery_url", ""),
        authorize_url=defaults.get("authorize_url", ""), token_url=defaults.get("token_url", ""),
        api_url=defaults.get("api_url", ""),
        token_auth_method="client_secret_post" if connection.kind == "linkedin" else "client_secret_basic")


def connector_of(services, connection: ConnectionView):
    """A guarded connector for this version of the connection (a change makes a new one)."""
    key = (connection.id, connection.version)
    with _LOCK:
        found = _CONNECTORS.get(key)
    if found is None:
        found = guarded_connector(provider_of(connection, services.config.issuer), services.outbound,
                                  services.config.federation_timeout)
        with _LOCK:
            if len(_CONNECTORS) >= MAX_CACHED:
                _CONNECTORS.pop(next(iter(_CONNECTORS)))
            _CONNECTORS[key] = found
    return found
