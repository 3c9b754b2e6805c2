"""French translations of the relying party's policy and terms links on the sign-in and consent
pages (OpenID Connect Dynamic Client Registration 2: policy_uri, tos_uri)."""

FR: dict[str, str] = {
    "%(app)s's privacy policy": "Politique de confidentialité de %(app)s",
    "%(app)s's terms of service": "Conditions d'utilisation de %(app)s",
}
