"""GitHub: OAuth 2 (no ID token) with PKCE, then the user API: /user for the stable numeric id
and name, /user/emails for the primary verified address."""

from __future__ import annotations

from idp.federation.base import Connector, UpstreamError, UpstreamIdentity, UpstreamRejected


class GitHubConnector(Connector):
    scope = "read:user user:email"

    def authorization_url(self, state, nonce, code_verifier):
        url, _ = self.oauth_session(self.scope).create_authorization_url(
            self.provider.authorize_url, state=state, code_verifier=code_verifier)
        return url

    def identity(self, code, code_verifier, nonce):
        token = self.exchange(self.provider.token_url, self.scope, code, code_verifier)
        api = self.provider.api_url.rstrip("/")
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        user = self.get_json(api + "/user", token["access_token"], **headers)
        if not isinstance(user, dict) or not isinstance(user.get("id"), int):
            raise UpstreamRejected("the user API did not name the account")
        emails = self.get_json(api + "/user/emails", token["access_token"], **headers)
        if not isinstance(emails, list):
            raise UpstreamError("the emails API did not answer a list")
        primary = next((e for e in emails if isinstance(e, dict) and e.get("primary")), None)
        verified = bool(primary and primary.get("verified") is True)
        email = primary.get("email") if primary else None
        return UpstreamIdentity(provider=self.name, subject=str(user["id"]),
                                email=email.strip().lower() if isinstance(email, str) and email else None,
                                email_verified=verified, name=user.get("name") or user.get("login"))
