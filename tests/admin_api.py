"""Helpers of the admin API tests: an operator-made admin client, its tokens, a session that sends them."""

from __future__ import annotations

import requests

from tests.conftest import remember_secret

PREFIX = "/admin/api/v1"


def admin_client(idp, scope="admin:read admin:write", **kwargs):
    """A confidential client_credentials client, as `idp clients create --scope admin:read …` makes it."""
    kwargs.setdefault("name", "Admin automation")
    client, secret = idp.create_client(redirect_uris=[], grant_types=["client_credentials"], scope=scope, **kwargs)
    return client, secret


def client_token(idp, client_id, secret, scope="admin:read admin:write") -> requests.Response:
    return requests.post(idp.endpoint("/token"), data={"grant_type": "client_credentials", "scope": scope},
                         auth=(client_id, secret), timeout=10)


class AdminSession:
    """requests against /admin/api/v1 with a bearer token."""

    def __init__(self, idp, token: str | None):
        self.idp = idp
        self.http = requests.Session()
        if token:
            remember_secret(token)
            self.http.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        response = self.http.request(method, self.idp.endpoint(PREFIX + path), **kwargs)
        assert response.status_code < 500, (response.status_code, response.text[:500])
        return response

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.request("PATCH", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)


def admin_session(idp, scope="admin:read admin:write") -> AdminSession:
    client, secret = admin_client(idp, scope=scope)
    response = client_token(idp, client.client_id, secret, scope)
    assert response.status_code == 200, response.text
    session = AdminSession(idp, response.json()["access_token"])
    session.client_id = client.client_id
    return session
