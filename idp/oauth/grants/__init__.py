"""One module per grant type; each stays thin and calls idp.tokens."""

from .authorization_code import AuthorizationCodeGrant
from .client_credentials import ClientCredentialsGrant
from .device_code import DeviceCodeGrant
from .refresh_token import RefreshTokenGrant

__all__ = ["AuthorizationCodeGrant", "ClientCredentialsGrant", "DeviceCodeGrant", "RefreshTokenGrant"]
