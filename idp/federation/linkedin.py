"""LinkedIn: "Sign In with LinkedIn using OpenID Connect" (client secret in the token request's body)."""

from __future__ import annotations

from idp.federation.oidc import OidcConnector


class LinkedInConnector(OidcConnector):
    default_scope = "openid profile email"
