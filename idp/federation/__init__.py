"""Upstream federation (issue 5): sign in with Google, GitHub, LinkedIn or any OIDC issuer.

One connector interface (base.Connector), one module per provider; the pages that use
them are idp/web/federation.py, the identity table idp/store/federated.py.
"""

from __future__ import annotations

from idp.config import ProviderConfig
from idp.federation.base import Connector, UpstreamError, UpstreamIdentity, UpstreamRejected
from idp.federation.github import GitHubConnector
from idp.federation.google import GoogleConnector
from idp.federation.linkedin import LinkedInConnector
from idp.federation.oidc import OidcConnector

KINDS = {"google": GoogleConnector, "linkedin": LinkedInConnector, "github": GitHubConnector, "oidc": OidcConnector}

__all__ = ["Connector", "UpstreamError", "UpstreamIdentity", "UpstreamRejected", "build_connectors"]


def build_connectors(providers: tuple[ProviderConfig, ...], timeout: float) -> dict[str, Connector]:
    return {p.name: KINDS[p.kind](p, timeout) for p in providers}
