"""Client metadata at the protocol surface: the policy itself lives in the domain
(idp/administration/client_policy.py); here are what dynamic registration answers with
(RFC 7591 3.2.2: the first problem as its OAuth error) and the server metadata an
operator's client is checked against (discovery, with any scope allowed)."""

from __future__ import annotations

from authlib.oauth2.rfc7591 import InvalidClientMetadataError, InvalidRedirectURIError

from idp.administration import client_policy
from idp.oauth.endpoints.discovery import metadata as server_metadata


def validate(data: dict, server_metadata: dict, outbound=None, current=None) -> dict:
    """The registered metadata, or InvalidRedirectURIError / InvalidClientMetadataError (RFC 7591 3.2.2);
    current: the client an RFC 7592 update replaces."""
    try:
        return client_policy.validate(data, server_metadata, outbound, current=current)
    except client_policy.InvalidMetadata as exc:
        first = exc.problems[0]
        raise (InvalidRedirectURIError if first.redirect else InvalidClientMetadataError)(first.detail) from None


def admin_policy(svc) -> dict:
    """What an operator's client is checked against: the discovery metadata (what is really wired),
    except that any scope is allowed, since operators give service clients their own API scopes."""
    policy = server_metadata(svc.config, svc.keys.signing_algs())
    policy.pop("scopes_supported")
    return policy


def client_admin(svc):
    """The administration of clients (admin API, `idp clients`), checked against admin_policy."""
    from idp.administration.clients import ClientAdmin

    return ClientAdmin(svc, lambda: admin_policy(svc))
