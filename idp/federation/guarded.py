"""Connectors whose every upstream request goes through the outbound SSRF guard (idp/plumbing/outbound.py).

The deployment's providers are the operator's (environment settings); an organization's enterprise
connection is set by that organization's administrator through the admin API, so its discovery URL,
and every endpoint the discovery document names, is a user-given URL: resolved once, connected to
the checked address, refused when non-public (unless OUTBOUND_ALLOWED_HOSTS lists it), no redirect
followed, a timeout and a size cap. The connectors stay authlib's and requests' (the token request,
PKCE, client authentication): only the transport is swapped, by a requests adapter.
"""

from __future__ import annotations

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from idp.federation.github import GitHubConnector
from idp.federation.google import GoogleConnector
from idp.federation.linkedin import LinkedInConnector
from idp.federation.oidc import OidcConnector
from idp.plumbing.outbound import Outbound, OutboundError


class OutboundAdapter(BaseAdapter):
    """A requests transport that sends through Outbound; a refusal or a failure is a ConnectionError."""

    def __init__(self, outbound: Outbound):
        super().__init__()
        self.outbound = outbound

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        """The guard's own timeout (OUTBOUND_TIMEOUT) and size cap apply, whatever the caller asked."""
        body = request.body.encode() if isinstance(request.body, str) else request.body
        # The guard reads the body as sent: no compression asked for, so none to undo.
        headers = {k: v for k, v in request.headers.items() if k.lower() != "accept-encoding"}
        try:
            answer = self.outbound.request(request.method, request.url, body=body, headers=headers)
        except OutboundError as exc:
            raise requests.ConnectionError(str(exc), request=request) from None
        response = requests.Response()
        response.status_code = answer.status
        response.headers = CaseInsensitiveDict(answer.headers)
        response._content = answer.body
        response.url = request.url
        response.request = request
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        return response

    def close(self):
        pass


def guarded_session(outbound: Outbound, session: requests.Session | None = None) -> requests.Session:
    session = session or requests.Session()
    session.trust_env = False  # no proxy from the environment: the guard connects itself
    adapter = OutboundAdapter(outbound)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class GuardedMixin:
    """Overrides the two places a connector talks to its provider."""

    outbound: Outbound

    def oauth_session(self, scope):
        return guarded_session(self.outbound, super().oauth_session(scope))

    def http(self):
        return guarded_session(self.outbound)


class GuardedOidc(GuardedMixin, OidcConnector):
    pass


class GuardedGoogle(GuardedMixin, GoogleConnector):
    pass


class GuardedLinkedIn(GuardedMixin, LinkedInConnector):
    pass


class GuardedGitHub(GuardedMixin, GitHubConnector):
    pass


GUARDED_KINDS = {"oidc": GuardedOidc, "google": GuardedGoogle, "linkedin": GuardedLinkedIn, "github": GuardedGitHub}


def guarded_connector(provider, outbound: Outbound, timeout: float):
    connector = GUARDED_KINDS[provider.kind](provider, timeout)
    connector.outbound = outbound
    return connector
