"""What `idp demo` prints as its "try" URL and what its callback page needs to finish that flow.

The demo is an authorization code flow a person can follow in a browser on a fresh machine: the
URL carries PKCE (RFC 7636 4.2, S256) and a nonce (OpenID Connect Core 1.0 3.1.2.1), and its
redirect URI is the demo's own callback page (idp/web/demo_callback.py). The code verifier, the
state and the nonce are made once per `idp demo` run and kept here, in the server's configuration,
which the worker inherits: the verifier never leaves the server, and the page refuses any state
but the one it printed. `idp serve` never carries one (Config.validate refuses it in production).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import secrets
from urllib.parse import urlencode

CALLBACK_PATH = "/demo/callback"
CLIENT_ID = "demo-client"
SCOPE = "openid profile email"


@dataclasses.dataclass(frozen=True)
class DemoTry:
    client_id: str
    client_secret: str
    redirect_uri: str
    state: str
    code_verifier: str
    nonce: str

    @classmethod
    def new(cls, issuer: str, client_secret: str) -> DemoTry:
        return cls(CLIENT_ID, client_secret, issuer + CALLBACK_PATH, secrets.token_urlsafe(16),
                   secrets.token_urlsafe(48), secrets.token_urlsafe(16))

    @property
    def code_challenge(self) -> str:
        """RFC 7636 4.2: BASE64URL(SHA256(ASCII(code_verifier))), unpadded."""
        digest = hashlib.sha256(self.code_verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def authorize_url(self, issuer: str) -> str:
        return issuer + "/authorize?" + urlencode({
            "response_type": "code", "client_id": self.client_id, "scope": SCOPE,
            "redirect_uri": self.redirect_uri, "state": self.state, "nonce": self.nonce,
            "code_challenge": self.code_challenge, "code_challenge_method": "S256",
        })

    def __repr__(self) -> str:  # a config printed in a log line must not show the secret or the verifier
        return f"DemoTry(client_id={self.client_id!r}, redirect_uri={self.redirect_uri!r})"
