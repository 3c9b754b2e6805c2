"""The scopes this server knows (discovery, the authorization server and registration read it)."""

SCOPES_SUPPORTED = ["openid", "profile", "email", "offline_access"]
