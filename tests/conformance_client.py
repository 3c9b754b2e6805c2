"""The relying party the OpenID Foundation conformance suite plays, as the tests of
tests/test_conformance_*.py need it: an authorization request built by hand (the suite sends no
PKCE unless a module asks for it), answered by redirect or by form_post, the code redeemed with
client_secret_basic or client_secret_post, the ID token checked as the suite's oidcc-server does."""

from __future__ import annotations

from urllib.parse import urlencode

import requests
from authlib.common.security import generate_token
from joserfc import jwt
from joserfc.jwk import KeySet

from .conftest import REDIRECT_URI, Browser, callback_params, hidden_fields
from .test_code_flow import discover


def authorization_request(client, **params) -> dict:
    """The suite's request; a parameter given as None is left out."""
    query = {"response_type": "code", "client_id": client.client_id, "redirect_uri": REDIRECT_URI,
             "scope": "openid", "state": generate_token(12), "nonce": generate_token(12), **params}
    return {name: value for name, value in query.items() if value is not None}


def authorize(browser: Browser, user, params: dict, method: str = "GET"):
    """Send the request (GET query or POST form, OIDC Core 3.1.2.1), sign in and consent when asked."""
    endpoint = discover(browser.idp)["authorization_endpoint"]
    if method == "GET":
        response = browser.go(endpoint + "?" + urlencode(params))
    else:
        response = browser.go(endpoint, "POST", params)
    if 'name="password"' in response.text:
        response = browser.login(response, user.email)
    if "would like to" in response.text:
        response = browser.consent(response)
    return response


def authorization_response(response, response_mode: str = "query") -> dict:
    """The parameters the RP receives: from the redirect's query, or from the self-posting form
    (OAuth 2.0 Form Post Response Mode 2)."""
    if response_mode == "form_post":
        assert response.status_code == 200, (response.status_code, response.text[:300])
        assert f'action="{REDIRECT_URI}"' in response.text and 'method="post"' in response.text.lower()
        return hidden_fields(response.text)
    return callback_params(response)


def redeem(idp, client, code: str, auth: str = "client_secret_basic", **extra) -> requests.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, **extra}
    secret = client.client_metadata["secret"]
    if auth == "client_secret_post":
        return requests.post(idp.endpoint("/token"), data={**data, "client_id": client.client_id,
                                                           "client_secret": secret}, timeout=5)
    return requests.post(idp.endpoint("/token"), data=data, auth=(client.client_id, secret), timeout=5)


def checked_id_token(idp, client, id_token: str, nonce: str | None) -> dict:
    """What oidcc-server and oidcc-idtoken-signature check (OIDC Core 3.1.3.7): RS256 by default, a
    kid found in jwks_uri, iss, aud, exp, iat, sub; the request's nonce, and none when none was sent."""
    meta = discover(idp)
    keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=5).json())
    token = jwt.decode(id_token, keys, algorithms=["RS256"])
    assert token.header["alg"] == "RS256" and token.header["kid"] in {k["kid"] for k in keys.as_dict()["keys"]}
    claims = token.claims
    assert claims["iss"] == meta["issuer"] and client.client_id in ([claims["aud"]] if isinstance(
        claims["aud"], str) else claims["aud"])
    assert claims["exp"] > claims["iat"] and claims["sub"]
    assert claims.get("nonce") == nonce
    return claims


def sign_in_flow(idp, browser, client, user, response_mode="query", method="GET", auth="client_secret_basic",
                 verifier=None, reverse=False, **params):
    """One complete authorization: returns (authorization response, token response, ID token claims).
    reverse: the request's parameters in the opposite order (oidcc-alternate-happy-flow)."""
    if response_mode != "query":
        params["response_mode"] = response_mode
    request = authorization_request(client, **params)
    if reverse:
        request = dict(reversed(list(request.items())))
    answer = authorization_response(authorize(browser, user, request, method), response_mode)
    assert answer.get("state") == request["state"] and answer.get("iss") == idp.url, answer
    token = redeem(idp, client, answer["code"], auth, **({"code_verifier": verifier} if verifier else {}))
    assert token.status_code == 200, token.text
    body = token.json()
    return answer, body, checked_id_token(idp, client, body["id_token"], request.get("nonce"))
