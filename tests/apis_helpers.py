"""Steps the API tests share: two registered APIs, a client allowed them, a code flow with
`resource` values (RFC 8707), token and introspection requests."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import secrets
import uuid
from urllib.parse import urlencode

import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from .conftest import REDIRECT_URI, callback_params, remember_secret

USER_SCOPES = "openid profile email offline_access groups roles"


def uid() -> str:
    return uuid.uuid4().hex[:8]


@dataclasses.dataclass
class Apis:
    a: str
    b: str
    a_server: tuple  # (client_id, secret) of API A's resource server
    b_server: tuple


def two_apis(idp, **a_options) -> Apis:
    """API A (orders) and API B (billing), each with its resource-server client."""
    registry = idp.services.apis
    servers = []
    for _ in range(2):
        rs, secret = idp.create_client(name="Resource server", redirect_uris=[], grant_types=["client_credentials"],
                                       scope="")
        servers.append((rs.client_id, secret))
    a, b = f"https://orders-{uid()}.example.com/", f"https://billing-{uid()}.example.com/"
    registry.create_api(a, "Orders API", {"orders:read": "Read your orders", "orders:write": "Change your orders"},
                        resource_server=servers[0][0], **a_options)
    registry.create_api(b, "Billing API", {"billing:read": "See your invoices"}, resource_server=servers[1][0])
    return Apis(a, b, servers[0], servers[1])


def rp_client(idp, apis: Apis, **kwargs):
    """A confidential relying party allowed both APIs; returns (client, secret)."""
    kwargs.setdefault("scope", USER_SCOPES)
    client, secret = idp.create_client(**kwargs)
    idp.services.apis.allow(apis.a, client.client_id)
    idp.services.apis.allow(apis.b, client.client_id)
    return client, secret


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def authorize_url(idp, client_id: str, scope: str, resources=(), verifier: str = "v" * 43, **extra) -> str:
    params = [("response_type", "code"), ("client_id", client_id), ("redirect_uri", REDIRECT_URI),
              ("scope", scope), ("state", "st-1"), ("code_challenge", s256(verifier)),
              ("code_challenge_method", "S256"), *[("resource", r) for r in resources], *extra.items()]
    return idp.endpoint("/authorize") + "?" + urlencode(params)


def token_request(idp, auth: tuple, resources=(), **data) -> requests.Response:
    body = [*data.items(), *[("resource", r) for r in resources]]
    response = requests.post(idp.endpoint("/token"), data=body, auth=auth, timeout=10)
    if response.ok:
        remember_secret(*(v for k, v in response.json().items() if k in ("access_token", "refresh_token", "id_token")))
    return response


def code_flow(idp, browser, client, secret, user, scope=USER_SCOPES, resources=(), token_resources=()) -> dict:
    verifier = secrets.token_urlsafe(48)
    params = callback_params(browser.authorize(authorize_url(idp, client.client_id, scope, resources, verifier),
                                               user.email))
    response = token_request(idp, (client.client_id, secret), token_resources, grant_type="authorization_code",
                             code=params["code"], redirect_uri=REDIRECT_URI, code_verifier=verifier)
    assert response.status_code == 200, response.text
    return response.json()


def introspect(idp, auth: tuple, token: str) -> dict:
    response = requests.post(idp.endpoint("/introspect"), data={"token": token}, auth=auth, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def verify_locally(idp, token: str, audience: str) -> dict:
    """What an API does without calling us: the JWKS signature, typ at+jwt (RFC 9068 4) and its own aud."""
    jwks = KeySet.import_key_set(requests.get(idp.endpoint("/jwks.json"), timeout=5).json())
    decoded = jwt.decode(token, jwks, algorithms=["RS256", "ES256", "EdDSA"])
    assert decoded.header["typ"] == "at+jwt"
    jwt.JWTClaimsRegistry(iss={"essential": True, "value": idp.url}, aud={"essential": True, "value": audience},
                          exp={"essential": True}).validate(decoded.claims)
    return decoded.claims


def claims_of(token: str) -> dict:
    """The payload, unverified (the tests verify signatures with verify_locally)."""
    import json

    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def member_with_role(idp, apis: Apis, role_scopes=("orders:read", "orders:write")):
    """A user in a nested group that holds role orders-admin of API A; also a billing role on B."""
    registry = idp.services.apis
    user = idp.create_user()
    outer, inner = f"staff-{uid()}", f"team-{uid()}"
    registry.create_group(outer)
    registry.create_group(inner)
    registry.add_member(outer, member_group=inner)
    registry.add_member(inner, user_id=user.id)
    registry.create_role(apis.a, "orders-admin", list(role_scopes))
    registry.create_role(apis.b, "billing-viewer", ["billing:read"])
    registry.assign(apis.a, "orders-admin", group=outer)
    registry.assign(apis.b, "billing-viewer", user_id=user.id)
    return user, (outer, inner)
