"""End to end with a real relying-party library (authlib's OAuth2Session) against the live server.

The RP knows only the issuer URL: everything else comes from discovery.
"""

from __future__ import annotations

import json
import time

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from .conftest import REDIRECT_URI, callback_params


def discover(idp):
    return requests.get(idp.url + "/.well-known/openid-configuration", timeout=5).json()


def relying_party(idp, client, scope="openid profile email offline_access"):
    meta = discover(idp)
    secret = client.client_metadata.get("secret")
    session = OAuth2Session(
        client.client_id,
        secret,
        scope=scope,
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint_auth_method=client.token_endpoint_auth_method,
    )
    return session, meta


def validate_id_token(meta, id_token, client_id, nonce):
    jwks = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=5).json())
    token = jwt.decode(id_token, jwks, algorithms=["RS256"])
    registry = JWTClaimsRegistry(
        iss={"essential": True, "value": meta["issuer"]},
        aud={"essential": True, "value": client_id},
        nonce={"essential": True, "value": nonce},
        exp={"essential": True},
        iat={"essential": True},
        sub={"essential": True},
        auth_time={"essential": True},
    )
    registry.validate(token.claims)
    assert token.header["kid"] in {k["kid"] for k in jwks.as_dict()["keys"]}
    return token


def run_code_flow(idp, browser, client, user, scope="openid profile email offline_access", **extra):
    rp, meta = relying_party(idp, client, scope)
    verifier = generate_token(48)
    nonce = generate_token(16)
    url, state = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier,
                                             nonce=nonce, **extra)
    response = browser.authorize(url, user.email)
    params = callback_params(response)
    assert params["state"] == state
    assert params["iss"] == idp.url  # RFC 9207
    token = rp.fetch_token(meta["token_endpoint"], code=params["code"], code_verifier=verifier)
    return rp, meta, token, nonce, params


def test_full_code_flow_with_only_the_issuer_url_oidc_core_3_1(idp, browser, client, user):
    rp, meta, token, nonce, _ = run_code_flow(idp, browser, client, user)
    assert token["token_type"].lower() == "bearer"
    assert token["expires_in"] == idp.services.config.access_token_ttl
    claims = validate_id_token(meta, token["id_token"], client.client_id, nonce).claims
    assert claims["sub"] == user.id
    assert claims["azp"] == client.client_id
    assert "at_hash" in claims and "sid" in claims
    assert claims["email"] == user.email

    info = rp.get(meta["userinfo_endpoint"]).json()
    assert info == {"sub": user.id, "name": user.name, "email": user.email, "email_verified": True,
                    "updated_at": info["updated_at"]}


def test_access_token_is_a_jwt_a_resource_server_validates_locally_rfc9068(idp, browser, client, user):
    _, meta, token, _, _ = run_code_flow(idp, browser, client, user)
    jwks = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=5).json())
    decoded = jwt.decode(token["access_token"], jwks, algorithms=["RS256"])
    assert decoded.header["typ"] == "at+jwt"
    JWTClaimsRegistry(iss={"essential": True, "value": idp.url}, exp={"essential": True},
                      sub={"essential": True, "value": user.id},
                      client_id={"essential": True, "value": client.client_id},
                      jti={"essential": True}, aud={"essential": True}).validate(decoded.claims)
    assert "openid" in decoded.claims["scope"].split()


def test_introspection_of_access_and_refresh_tokens_rfc7662_2_2(idp, browser, client, user):
    _, _, token, _, _ = run_code_flow(idp, browser, client, user)
    auth = (client.client_id, client.client_metadata["secret"])
    active = requests.post(idp.endpoint("/introspect"), data={"token": token["access_token"]}, auth=auth, timeout=5)
    assert active.status_code == 200
    body = active.json()
    assert body["active"] is True and body["sub"] == user.id and body["client_id"] == client.client_id
    assert body["iss"] == idp.url and body["exp"] > time.time()

    refresh = requests.post(idp.endpoint("/introspect"), auth=auth, timeout=5,
                            data={"token": token["refresh_token"], "token_type_hint": "refresh_token"}).json()
    assert refresh["active"] is True and refresh["token_type"] == "refresh_token"

    unknown = requests.post(idp.endpoint("/introspect"), data={"token": "nope"}, auth=auth, timeout=5).json()
    assert unknown == {"active": False}


def test_introspection_requires_client_authentication_rfc7662_2_1(idp, browser, client, user):
    _, _, token, _, _ = run_code_flow(idp, browser, client, user)
    response = requests.post(idp.endpoint("/introspect"), data={"token": token["access_token"]}, timeout=5)
    assert response.status_code in (400, 401)
    assert response.json()["error"] == "invalid_client"


def test_refresh_token_of_another_client_is_inactive_for_it(idp, browser, client, user):
    _, _, token, _, _ = run_code_flow(idp, browser, client, user)
    other, other_secret = idp.create_client(name="Other")
    body = requests.post(idp.endpoint("/introspect"), auth=(other.client_id, other_secret), timeout=5,
                         data={"token": token["refresh_token"]}).json()
    assert body == {"active": False}


def test_refresh_rotates_and_reuse_revokes_the_family_rfc9700_4_14_2(idp, browser, client, user):
    rp, meta, token, _, _ = run_code_flow(idp, browser, client, user)
    first_refresh = token["refresh_token"]
    rotated = rp.refresh_token(meta["token_endpoint"], refresh_token=first_refresh)
    assert rotated["refresh_token"] != first_refresh
    assert rotated["access_token"] != token["access_token"]

    # The old refresh token again: refused, and the whole family dies with it.
    reuse = requests.post(meta["token_endpoint"], timeout=5,
                          auth=(client.client_id, client.client_metadata["secret"]),
                          data={"grant_type": "refresh_token", "refresh_token": first_refresh})
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    after = requests.post(meta["token_endpoint"], timeout=5,
                          auth=(client.client_id, client.client_metadata["secret"]),
                          data={"grant_type": "refresh_token", "refresh_token": rotated["refresh_token"]})
    assert after.status_code == 400 and after.json()["error"] == "invalid_grant"
    auth = (client.client_id, client.client_metadata["secret"])
    for access in (token["access_token"], rotated["access_token"]):
        body = requests.post(idp.endpoint("/introspect"), data={"token": access}, auth=auth, timeout=5).json()
        assert body == {"active": False}


def test_code_reuse_fails_and_revokes_tokens_rfc6749_4_1_2(idp, browser, client, user):
    rp, meta, token, _, params = run_code_flow(idp, browser, client, user)
    again = requests.post(meta["token_endpoint"], timeout=5,
                          auth=(client.client_id, client.client_metadata["secret"]),
                          data={"grant_type": "authorization_code", "code": params["code"],
                                "redirect_uri": REDIRECT_URI, "code_verifier": "x" * 43})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    auth = (client.client_id, client.client_metadata["secret"])
    body = requests.post(idp.endpoint("/introspect"), data={"token": token["access_token"]}, auth=auth, timeout=5)
    assert body.json() == {"active": False}
    refreshed = requests.post(meta["token_endpoint"], auth=auth, timeout=5,
                              data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]})
    assert refreshed.json()["error"] == "invalid_grant"


def test_wrong_client_secret_is_401_with_www_authenticate_rfc6749_5_2(idp, browser, client, user):
    response = requests.post(idp.endpoint("/token"), auth=(client.client_id, "wrong"), timeout=5,
                             data={"grant_type": "authorization_code", "code": "abc", "redirect_uri": REDIRECT_URI})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].lower().startswith("basic")
    assert response.headers["Cache-Control"] == "no-store"


def test_wrong_pkce_verifier_is_invalid_grant_rfc7636_4_6(idp, browser, public_client, user):
    rp, meta = relying_party(idp, public_client)
    verifier = generate_token(48)
    url, _ = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce="n")
    params = callback_params(browser.authorize(url, user.email))
    response = requests.post(meta["token_endpoint"], timeout=5, data={
        "grant_type": "authorization_code", "code": params["code"], "redirect_uri": REDIRECT_URI,
        "client_id": public_client.client_id, "code_verifier": generate_token(48)})
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_public_client_completes_the_flow_with_pkce(idp, browser, public_client, user):
    _, meta, token, nonce, _ = run_code_flow(idp, browser, public_client, user)
    validate_id_token(meta, token["id_token"], public_client.client_id, nonce)


def test_public_client_without_pkce_is_refused_rfc9700_2_1_1(idp, browser, public_client, user):
    browser.authorize(idp.endpoint("/"), user.email)  # signed in first
    response = browser.go(idp.endpoint(
        f"/authorize?response_type=code&client_id={public_client.client_id}&redirect_uri={REDIRECT_URI}"
        "&scope=openid&state=s1"))
    params = callback_params(response)
    assert params["error"] == "invalid_request" and params["state"] == "s1"


def test_plain_pkce_method_is_refused_rfc7636_4_2(idp, browser, client, user):
    response = browser.go(idp.endpoint(
        f"/authorize?response_type=code&client_id={client.client_id}&redirect_uri={REDIRECT_URI}"
        f"&scope=openid&state=s2&code_challenge={'a' * 43}&code_challenge_method=plain"))
    params = callback_params(response)
    assert params["error"] == "invalid_request" and params["state"] == "s2"


def test_prompt_none_without_session_is_login_required_oidc_core_3_1_2_6(idp, browser, client):
    response = browser.go(idp.endpoint(
        f"/authorize?response_type=code&client_id={client.client_id}&redirect_uri={REDIRECT_URI}"
        "&scope=openid&state=abc&prompt=none"))
    params = callback_params(response)
    assert params["error"] == "login_required"
    assert params["state"] == "abc" and params["iss"] == idp.url


def test_prompt_none_with_session_but_no_consent_is_consent_required(idp, browser, client, user):
    browser.login(browser.go(idp.endpoint("/login")), user.email)
    response = browser.go(idp.endpoint(
        f"/authorize?response_type=code&client_id={client.client_id}&redirect_uri={REDIRECT_URI}"
        "&scope=openid&state=abc&prompt=none"))
    assert callback_params(response)["error"] == "consent_required"


def test_unregistered_redirect_uri_shows_an_error_page_never_a_redirect_rfc6749_4_1_2_1(idp, browser, client):
    response = browser.go(idp.endpoint(
        f"/authorize?response_type=code&client_id={client.client_id}"
        "&redirect_uri=https://attacker.example/cb&scope=openid&state=x"))
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "text/html" in response.headers["Content-Type"]


def test_unknown_client_shows_an_error_page(idp, browser):
    response = browser.go(idp.endpoint(
        f"/authorize?response_type=code&client_id=nope&redirect_uri={REDIRECT_URI}&scope=openid"))
    assert response.status_code == 400 and "Location" not in response.headers


def test_prefix_of_registered_redirect_uri_is_not_accepted_rfc9700_2_1(idp, browser, client):
    response = browser.go(idp.endpoint(
        f"/authorize?response_type=code&client_id={client.client_id}"
        f"&redirect_uri={REDIRECT_URI}/../evil&scope=openid"))
    assert response.status_code == 400 and "Location" not in response.headers


def test_unsupported_response_type_is_redirected_rfc6749_4_1_2_1(idp, browser, client):
    response = browser.go(idp.endpoint(
        f"/authorize?response_type=token&client_id={client.client_id}&redirect_uri={REDIRECT_URI}&state=q"))
    params = callback_params(response)
    assert params["error"] == "unsupported_response_type" and params["state"] == "q"


def test_consent_is_remembered_and_prompt_consent_asks_again(idp, browser, client, user):
    run_code_flow(idp, browser, client, user)
    rp, meta = relying_party(idp, client)
    url, _ = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=generate_token(48), nonce="n")
    assert callback_params(browser.go(url))["code"]  # no login, no consent page
    url, _ = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=generate_token(48),
                                         nonce="n", prompt="consent")
    assert "would like to" in browser.go(url).text


def test_denied_consent_is_access_denied_rfc6749_4_1_2_1(idp, browser, client, user):
    rp, meta = relying_party(idp, client)
    url, state = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=generate_token(48))
    params = callback_params(browser.authorize(url, user.email, allow=False))
    assert params["error"] == "access_denied" and params["state"] == state


def test_prompt_login_forces_a_new_login_oidc_core_3_1_2_1(idp, browser, client, user):
    run_code_flow(idp, browser, client, user)
    rp, meta = relying_party(idp, client)
    url, _ = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=generate_token(48),
                                         prompt="login")
    page = browser.go(url)
    assert 'name="password"' in page.text
    assert callback_params(browser.login(page, user.email))["code"]


def test_max_age_zero_forces_a_new_login_and_auth_time_is_fresh(idp, browser, client, user):
    run_code_flow(idp, browser, client, user)
    time.sleep(1.1)
    before = int(time.time())
    _, meta, token, nonce, _ = run_code_flow(idp, browser, client, user, max_age="0")
    claims = validate_id_token(meta, token["id_token"], client.client_id, nonce).claims
    assert claims["auth_time"] >= before


def test_id_token_hint_for_another_user_requires_login(idp, browser, client, user):
    _, meta, token, _, _ = run_code_flow(idp, browser, client, user)
    other = idp.create_user()
    other_browser = type(browser)(idp)
    other_browser.login(other_browser.go(idp.endpoint("/login")), other.email)
    rp, meta = relying_party(idp, client)
    url, _ = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=generate_token(48),
                                         prompt="none", id_token_hint=token["id_token"])
    assert callback_params(other_browser.go(url))["error"] == "login_required"


def test_form_post_response_mode(idp, browser, client, user):
    rp, meta = relying_party(idp, client)
    url, state = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=generate_token(48),
                                             response_mode="form_post")
    page = browser.authorize(url, user.email)
    assert page.status_code == 200
    assert f'action="{REDIRECT_URI}"' in page.text
    assert 'name="code"' in page.text and f'value="{state}"' in page.text


def test_client_credentials_issues_an_access_token_without_refresh_rfc6749_4_4(idp):
    service, secret = idp.create_client(name="Service", redirect_uris=[], grant_types=["client_credentials"],
                                        scope="api:read")
    response = requests.post(idp.endpoint("/token"), auth=(service.client_id, secret), timeout=5,
                             data={"grant_type": "client_credentials"})
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert "refresh_token" not in body and body["token_type"] == "Bearer"
    intro = requests.post(idp.endpoint("/introspect"), data={"token": body["access_token"]},
                          auth=(service.client_id, secret), timeout=5).json()
    assert intro["active"] and intro["sub"] == service.client_id


def test_client_without_the_grant_is_unauthorized_client(idp, client):
    response = requests.post(idp.endpoint("/token"), auth=(client.client_id, client.client_metadata["secret"]),
                             data={"grant_type": "client_credentials"}, timeout=5)
    assert response.status_code == 400 and response.json()["error"] == "unauthorized_client"


def test_revoked_access_token_is_inactive_and_refused_by_userinfo_rfc7009_2_1(idp, browser, client, user):
    rp, meta, token, _, _ = run_code_flow(idp, browser, client, user)
    auth = (client.client_id, client.client_metadata["secret"])
    revoked = requests.post(idp.endpoint("/revoke"), data={"token": token["access_token"]}, auth=auth, timeout=5)
    assert revoked.status_code == 200
    intro = requests.post(idp.endpoint("/introspect"), data={"token": token["access_token"]}, auth=auth, timeout=5)
    assert intro.json() == {"active": False}
    info = requests.get(meta["userinfo_endpoint"], headers={"Authorization": f"Bearer {token['access_token']}"},
                        timeout=5)
    assert info.status_code == 401 and "invalid_token" in info.headers["WWW-Authenticate"]


def test_revoked_refresh_token_cannot_refresh(idp, browser, client, user):
    _, meta, token, _, _ = run_code_flow(idp, browser, client, user)
    auth = (client.client_id, client.client_metadata["secret"])
    requests.post(idp.endpoint("/revoke"), auth=auth, timeout=5,
                  data={"token": token["refresh_token"], "token_type_hint": "refresh_token"})
    response = requests.post(meta["token_endpoint"], auth=auth, timeout=5,
                             data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]})
    assert response.json()["error"] == "invalid_grant"


def test_revoking_an_unknown_token_is_200_rfc7009_2_2(idp, client):
    response = requests.post(idp.endpoint("/revoke"), data={"token": "garbage"}, timeout=5,
                             auth=(client.client_id, client.client_metadata["secret"]))
    assert response.status_code == 200


def test_userinfo_accepts_post_with_form_body_token_rfc6750_2_2(idp, browser, client, user):
    _, meta, token, _, _ = run_code_flow(idp, browser, client, user, scope="openid email")
    response = requests.post(meta["userinfo_endpoint"], data={"access_token": token["access_token"]}, timeout=5)
    assert response.status_code == 200
    assert response.json() == {"sub": user.id, "email": user.email, "email_verified": True}


def test_no_refresh_token_without_offline_access(idp, browser, client, user):
    _, _, token, _, _ = run_code_flow(idp, browser, client, user, scope="openid profile")
    assert "refresh_token" not in token


@pytest.mark.parametrize("data", [
    {},
    {"grant_type": "password", "username": "a", "password": "b"},
    {"grant_type": "authorization_code"},
    {"grant_type": "refresh_token"},
    {"grant_type": "authorization_code", "code": "x" * 5000},
])
def test_malformed_token_requests_get_oauth_errors_not_500_rfc6749_5_2(idp, client, data):
    response = requests.post(idp.endpoint("/token"), data=data, timeout=5,
                             auth=(client.client_id, client.client_metadata["secret"]))
    assert 400 <= response.status_code < 500
    assert response.json()["error"] in ("invalid_request", "unsupported_grant_type", "invalid_grant",
                                        "unauthorized_client")


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "x" * 9000])
def test_garbage_bearer_tokens_get_401_invalid_token(idp, token):
    response = requests.get(idp.endpoint("/userinfo"), headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert response.status_code in (400, 401)
    assert "error" in response.json()


def test_oversized_body_is_413_json(idp):
    response = requests.post(idp.endpoint("/token"), data={"x": "y" * 200_000}, timeout=5)
    assert response.status_code == 413
    assert response.json()["error"] == "request_too_large"


def test_a_user_disabled_after_sign_in_gets_no_more_tokens_rfc6749_5_2(idp, browser, client, user):
    """The token step and userinfo read the user from a snapshot shared by every replica
    (Users.for_tokens). Disabling the user replaces it at once, so a code issued before the change
    is refused with invalid_grant, as are the refresh token and userinfo (OIDC Core 5.3.3)."""
    rp, meta, token, _, _ = run_code_flow(idp, browser, client, user)  # the snapshot is now cached
    assert rp.get(meta["userinfo_endpoint"]).status_code == 200
    second, _ = relying_party(idp, client)
    verifier = generate_token(48)
    url, _ = second.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce="n")
    code = callback_params(browser.authorize(url, user.email))["code"]  # the session is still live

    idp.services.users.set_disabled(user.id, True)
    auth = (client.client_id, client.client_metadata["secret"])
    redeemed = requests.post(meta["token_endpoint"], auth=auth, timeout=5, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier})
    assert redeemed.status_code == 400 and redeemed.json()["error"] == "invalid_grant"
    refreshed = requests.post(meta["token_endpoint"], auth=auth, timeout=5, data={
        "grant_type": "refresh_token", "refresh_token": token["refresh_token"]})
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    assert rp.get(meta["userinfo_endpoint"]).status_code == 401


def test_user_snapshot_holds_no_password_hash_and_a_read_that_raced_a_change_cannot_restore_it(idp):
    users = idp.services.users
    user = idp.create_user()
    assert users.for_tokens(user.id).password_hash is None
    cached = json.loads(users.cache.get("user:" + user.id))
    assert cached["id"] == user.id and cached["password_hash"] is None

    stale = users.by_id(user.id)  # a reader's database read, just before the change below
    users.set_disabled(user.id, True)
    # That reader now offers its snapshot: the change's tombstone holds the key, so it is not kept.
    assert users.cache.add("user:" + user.id, json.dumps(vars(stale)), users.SNAPSHOT_TTL) is False
    assert users.for_tokens(user.id).disabled
    users.set_disabled(user.id, False)
    assert not users.for_tokens(user.id).disabled
    assert users.for_tokens("no-such-user") is None
