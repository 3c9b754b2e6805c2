"""One module per grant type; each stays thin and calls idp.tokens."""

from idp.oauth.grants.authorization_code import AuthorizationCodeGrant
from idp.oauth.grants.client_credentials import ClientCredentialsGrant
from idp.oauth.grants.device_code import DeviceCodeGrant
from idp.oauth.grants.refresh_token import RefreshTokenGrant
from idp.oauth.grants.token_exchange import TokenExchangeGrant

__all__ = ["AuthorizationCodeGrant", "ClientCredentialsGrant", "DeviceCodeGrant", "RefreshTokenGrant", "TokenExchangeGrant"]
