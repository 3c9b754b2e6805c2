"""A strict relying party, written for the selftest: it signs in through the real login form (as a
browser would: GET the page, post its hidden fields and the credentials, follow the IdP's own
redirects and stop at the relying party's), exchanges codes with PKCE S256 and validates ID tokens
by the book (OIDC Core 3.1.3.7). A test client library would hide exactly the details the
selftest must look at (each redirect, header and cookie), so this one is small and explicit."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests
from joserfc import jwt
from joserfc.jwk import KeySet

TIMEOUT = 10


class FlowError(Exception):
    """A step of the flow did not answer as the protocol says; the message says how."""


@dataclasses.dataclass
class Credentials:
    client_id: str
    client_secret: str
    redirect_uri: str
    email: str
    password: str


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def hidden_fields(html: str) -> dict:
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and 'type="hidden"' in tag:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


def form_action(html: str, base: str, contains: str) -> str | None:
    for action in re.findall(r'<form[^>]*action="([^"]+)"', html):
        if contains in action:
            return urljoin(base, action.replace("&amp;", "&"))
    return None


class RelyingParty:
    def __init__(self, issuer: str, metadata: dict, creds: Credentials, verify_tls: bool = True):
        self.issuer, self.meta, self.creds = issuer, metadata, creds
        self.http = requests.Session()
        self.http.verify = verify_tls
        self.pages: list[requests.Response] = []  # the IdP's pages seen on the way (headers, cookies)

    # -- the browser side ---------------------------------------------------------
    def _go(self, url: str, method: str = "GET", data: dict | None = None) -> requests.Response:
        response = self.http.request(method, url, data=data, allow_redirects=False, timeout=TIMEOUT)
        while response.status_code in (302, 303) and urljoin(url, response.headers["Location"]).startswith(self.issuer):
            url = urljoin(url, response.headers["Location"])
            response = self.http.get(url, allow_redirects=False, timeout=TIMEOUT)
        self.pages.append(response)
        response.final_url = url
        return response

    def authorization_url(self, challenge: str, state: str, nonce: str, **extra) -> str:
        params = dict(response_type="code", client_id=self.creds.client_id, redirect_uri=self.creds.redirect_uri,
                      scope="openid email offline_access", state=state, nonce=nonce, code_challenge=challenge,
                      code_challenge_method="S256", **extra)
        return self.meta["authorization_endpoint"] + "?" + urlencode(params)

    def sign_in(self, url: str) -> dict:
        """Through the login form (and consent when asked); the callback's parameters."""
        page = self._go(url)
        if 'name="password"' in page.text:
            fields = hidden_fields(page.text)
            fields.update(email=self.creds.email, password=self.creds.password)
            action = form_action(page.text, page.final_url, "login") or urljoin(self.issuer + "/", "login")
            page = self._go(action, "POST", fields)
        if 'name="allow"' in page.text or "would like to" in page.text:
            fields = hidden_fields(page.text)
            fields["allow"] = "1"
            page = self._go(form_action(page.text, page.final_url, "consent") or self.issuer + "/consent", "POST", fields)
        location = page.headers.get("Location", "")
        if page.status_code not in (302, 303) or not location.startswith(self.creds.redirect_uri):
            raise FlowError(f"sign-in ended with HTTP {page.status_code} at {page.final_url}, not a redirect to "
                            f"the client: {page.text[:200]!r}")
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}

    # -- the back channel ---------------------------------------------------------
    def token(self, secret: str | None = None, **data) -> requests.Response:
        return self.http.post(self.meta["token_endpoint"], data=data, timeout=TIMEOUT,
                              auth=(self.creds.client_id, self.creds.client_secret if secret is None else secret))

    def redeem(self, code: str, verifier: str) -> requests.Response:
        return self.token(grant_type="authorization_code", code=code, code_verifier=verifier,
                          redirect_uri=self.creds.redirect_uri)

    def introspect(self, token: str) -> dict:
        return self.http.post(self.meta["introspection_endpoint"], data={"token": token}, timeout=TIMEOUT,
                              auth=(self.creds.client_id, self.creds.client_secret)).json()

    def revoke(self, token: str) -> requests.Response:
        return self.http.post(self.meta["revocation_endpoint"], data={"token": token}, timeout=TIMEOUT,
                              auth=(self.creds.client_id, self.creds.client_secret))

    def jwks(self) -> KeySet:
        return KeySet.import_key_set(self.http.get(self.meta["jwks_uri"], timeout=TIMEOUT).json())

    def validate_id_token(self, id_token: str, nonce: str) -> dict:
        """OIDC Core 3.1.3.7: signature by a published key with an advertised alg, iss, aud, exp, iat, nonce."""
        algs = self.meta.get("id_token_signing_alg_values_supported", ["RS256"])
        token = jwt.decode(id_token, self.jwks(), algorithms=[a for a in algs if a != "none"])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": self.issuer}, aud={"essential": True, "value": self.creds.client_id},
            exp={"essential": True}, iat={"essential": True}, sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
        return token.claims
