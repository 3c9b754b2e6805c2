"""The connector interface every upstream provider implements, and what a sign-in yields.

A connector builds the upstream authorization URL (state, nonce and PKCE bound to the
browser session by the caller) and turns the callback's code into an UpstreamIdentity,
validating everything the provider hands back. Every upstream call has a timeout.
"""

from __future__ import annotations

import dataclasses

import requests
from authlib.integrations.requests_client import OAuth2Session

from idp.config import ProviderConfig


class UpstreamError(Exception):
    """The provider could not be reached or answered something unusable (its message is shown)."""


class UpstreamRejected(UpstreamError):
    """What the provider sent back failed validation (signature, iss, aud, nonce, exp...)."""


@dataclasses.dataclass(frozen=True)
class UpstreamIdentity:
    provider: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None
    groups: tuple | None = None  # the upstream's groups, when the provider has a group map (groups.py)


class Connector:
    """One upstream provider. Subclasses: oidc.OidcConnector (google, linkedin, oidc), github.GitHubConnector."""

    uses_nonce = False

    def __init__(self, provider: ProviderConfig, timeout: float):
        self.provider = provider
        self.timeout = timeout

    @property
    def name(self) -> str:
        return self.provider.name

    @property
    def label(self) -> str:
        return self.provider.label

    def oauth_session(self, scope: str) -> OAuth2Session:
        return OAuth2Session(self.provider.client_id, self.provider.client_secret, scope=scope,
                             redirect_uri=self.provider.callback_url, code_challenge_method="S256",
                             token_endpoint_auth_method=self.provider.token_auth_method)

    def authorization_url(self, state: str, nonce: str, code_verifier: str) -> str:
        raise NotImplementedError

    def response_issuer(self) -> tuple[str | None, bool]:
        """(the provider's issuer identifier, whether its authorization responses carry `iss`).
        A plain OAuth 2 provider has neither unless configured (<KIND>_ISSUER,
        <KIND>_AUTHORIZATION_RESPONSE_ISS); OIDC providers read them from discovery."""
        return self.provider.issuer or None, bool(self.provider.authorization_response_iss)

    def check_response_issuer(self, values: list[str]) -> None:
        """RFC 9207 2.4 (mix-up defence, RFC 9700 4.4.2.1): an `iss` in the authorization response,
        success or error, must be exactly the issuer the request went to; a provider that sends one
        (authorization_response_iss_parameter_supported) must have sent it. values: every `iss` in
        the query (more than one is refused: which would be compared?)."""
        issuer, advertised = self.response_issuer()
        if len(values) > 1:
            raise UpstreamRejected("the authorization response has more than one iss")
        if not values:
            if advertised:
                raise UpstreamRejected("the authorization response has no iss, which the provider always sends")
            return
        # A plain OAuth 2 provider without a configured issuer has nothing to compare with (RFC 9207 2.4).
        if issuer is not None and values[0] != issuer:
            raise UpstreamRejected("the authorization response's iss is not the provider's issuer")

    def identity(self, code: str, code_verifier: str, nonce: str) -> UpstreamIdentity:
        raise NotImplementedError

    # -- helpers ---------------------------------------------------------------
    def exchange(self, token_url: str, scope: str, code: str, code_verifier: str, **extra) -> dict:
        session = self.oauth_session(scope)

        def server_failure(response):
            if response.status_code >= 500:
                raise UpstreamError(f"the token endpoint answered {response.status_code}")
            return response

        session.register_compliance_hook("access_token_response", server_failure)
        try:
            token = session.fetch_token(token_url, code=code, code_verifier=code_verifier, timeout=self.timeout,
                                        headers={"Accept": "application/json"}, **extra)
        except UpstreamError:
            raise
        except requests.RequestException as exc:
            raise UpstreamError(f"unreachable: {type(exc).__name__}") from None
        except Exception as exc:  # authlib's OAuthError and friends: the provider refused the code
            raise UpstreamRejected(f"token request refused: {getattr(exc, 'error', type(exc).__name__)}") from None
        if not token.get("access_token"):
            raise UpstreamRejected("no access token in the token response")
        return dict(token)

    def http(self):
        """What GETs the provider's JSON (requests itself; an organization's connection: the guarded session)."""
        return requests

    def get_json(self, url: str, access_token: str | None = None, **headers):
        if access_token:
            headers["Authorization"] = f"Bearer {access_token}"
        headers.setdefault("Accept", "application/json")
        try:
            response = self.http().get(url, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise UpstreamError(f"unreachable: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise UpstreamError(f"{url.split('?')[0]} answered {response.status_code}")
        try:
            return response.json()
        except ValueError:
            raise UpstreamError(f"{url.split('?')[0]} did not answer JSON") from None
