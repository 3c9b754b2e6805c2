"""Upstream federation (issue 5): sign in with Google, GitHub, LinkedIn or any OIDC issuer.

One connector interface (base.Connector), one module per provider; the pages that use
them are idp/web/federation.py, the identity table idp/store/federated.py.
"""

from __future__ import annotations

from ..config import ProviderConfig
from .base import Connector, UpstreamError, UpstreamIdentity, UpstreamRejected
from .github import GitHubConnector
from .google import GoogleConnector
from .linkedin import LinkedInConnector
from .oidc import OidcConnector

KINDS = {"google": GoogleConnector, "linkedin": LinkedInConnector, "github": GitHubConnector, "oidc": OidcConnector}

__all__ = ["Connector", "UpstreamError", "UpstreamIdentity", "UpstreamRejected", "build_connectors"]


def build_connectors(providers: tuple[ProviderConfig, ...], timeout: float) -> dict[str, Connector]:
    return {p.name: KINDS[p.kind](p, timeout) for p in providers}
