"""Google: OpenID Connect by discovery (https://accounts.google.com)."""

from __future__ import annotations

from idp.federation.oidc import OidcConnector


class GoogleConnector(OidcConnector):
    default_scope = "openid email profile"

    def accepted_issuers(self, meta):
        # Google's ID tokens may carry the issuer without its scheme (Google's OpenID Connect docs).
        issuer = meta["issuer"]
        return {issuer, issuer.removeprefix("https://")}
