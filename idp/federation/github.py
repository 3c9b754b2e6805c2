"""GitHub: OAuth 2 (no ID token) with PKCE, then the user API: /user for the stable numeric id
and name, /user/emails for the primary verified address."""

from __future__ import annotations

from idp.federation.base import Connector, UpstreamError, UpstreamIdentity, UpstreamRejected
from idp.federation.groups import upstream_groups


class GitHubConnector(Connector):
    @property
    def scope(self) -> str:
        """read:org only when organisations and teams are mapped to local groups (groups.py)."""
        return "read:user user:email read:org" if self.provider.group_map else "read:user user:email"

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
                                email_verified=verified, name=user.get("name") or user.get("login"),
                                groups=self.teams(api, token["access_token"], headers))

    def teams(self, api: str, access_token: str, headers: dict) -> tuple | None:
        """The user's organisations ("org") and teams ("org/team-slug"), when they are mapped.
        One page of 100 each: a larger membership is cut there (documented in docs/federation.md)."""
        if not self.provider.group_map:
            return None
        orgs = self.get_json(api + "/user/orgs?per_page=100", access_token, **headers)
        teams = self.get_json(api + "/user/teams?per_page=100", access_token, **headers)
        if not isinstance(orgs, list) or not isinstance(teams, list):
            raise UpstreamError("the organisations API did not answer a list")
        names = [o.get("login") for o in orgs if isinstance(o, dict)]
        names += [f"{(t.get('organization') or {}).get('login')}/{t.get('slug')}" for t in teams if isinstance(t, dict)]
        return upstream_groups(self.provider, names)
