"""urn:ietf:params:oauth:grant-type:device_code (RFC 8628 3.4, 3.5).

The device polls with its device code: authorization_pending until the user decides
on the user-code page, slow_down when it polls faster than the interval (which then
grows by 5 s), access_denied, expired_token; an approved code is redeemed once
(an atomic marker), a second redemption is invalid_grant. With scope openid the
answer carries an ID token, as the code grant's does.
"""

from authlib.oauth2.rfc6749 import AccessDeniedError, InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc8628 import AuthorizationPendingError, ExpiredTokenError, SlowDownError
from authlib.oauth2.rfc8628 import DeviceCodeGrant as _Base

from idp.oauth.grants.authorization_code import IdToken
from idp.oauth.grants.base import IssuesTokens, active_user
from idp.plumbing.context import services
from idp.tokens.device_authorizations import DeviceStore


class DeviceSignIn:
    """The device's sign-in, in the shape the ID token reads from an authorization code."""

    idp = None

    def __init__(self, decision: dict):
        self.decision = decision
        self.sid = decision.get("sid")  # the browser session that approved, for logout

    def get_nonce(self):
        return None  # the device authorization request carries no nonce (RFC 8628 3.1)

    def get_auth_time(self):
        return self.decision.get("auth_time")

    def get_acr(self):
        return self.decision.get("acr")

    def get_amr(self):
        return self.decision.get("amr")


class DeviceIdToken(IdToken):
    """An ID token beside the device grant's tokens when the scope has openid, as for the code grant:
    devices that sign users in with OpenID Connect expect one (OIDC Core 3.1.3.3)."""

    def encode_id_token(self, token, request):
        request.authorization_code = DeviceSignIn(request.decision)
        return super().encode_id_token(token, request)

    def __call__(self, grant):
        grant.register_hook("after_create_token_response", self.process_token)


class DeviceCodeGrant(IssuesTokens, _Base):
    def devices(self) -> DeviceStore:
        return DeviceStore(services().store)

    def validate_token_request(self):
        try:
            super().validate_token_request()
        except InvalidRequestError as error:
            if self.request.payload.data.get("device_code"):
                # an unknown device code is a bad grant, not a malformed request (RFC 6749 5.2)
                raise InvalidGrantError("Unknown or expired device_code.") from error
            raise

    def query_device_credential(self, device_code):
        return self.devices().by_device_code(device_code)

    def validate_device_credential(self, credential):
        devices = self.devices()
        if credential.is_expired():
            raise ExpiredTokenError()
        decision = devices.decision(credential)
        if decision is None:
            if devices.polled_too_fast(credential):
                raise SlowDownError()
            raise AuthorizationPendingError()
        if not decision.get("approved"):
            raise AccessDeniedError()
        if not devices.redeem(credential):
            raise InvalidGrantError("The device code was already used.")
        user = active_user(decision["user_id"])
        self.request.decision = decision
        return user

    def query_user_grant(self, user_code):
        """Unused: validate_device_credential reads the decision by device code."""

    def should_slow_down(self, credential):
        """Unused: see validate_device_credential."""

    def granted_resources(self):
        return list(self.request.credential.resources)

    def granted_scope(self):
        return self.request.credential.scope

    def token_context(self):
        decision = self.request.decision
        return {"grant_id": decision["grant_id"], "auth_time": decision["auth_time"]}
