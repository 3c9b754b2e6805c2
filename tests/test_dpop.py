"""DPoP (RFC 9449) end to end: proofs made with joserfc as a client library would, sent with
authlib's client to the token endpoint, then to userinfo and introspection; and every refusal."""

from __future__ import annotations

import time
import uuid

import pytest
import requests
from authlib.common.security import generate_token
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from .conftest import REDIRECT_URI, callback_params, start_idp
from .test_code_flow import discover, relying_party

ES256_KEY = ECKey.generate_key("P-256", private=True)


def proof(idp_or_url, method="POST", path="/token", key=ES256_KEY, access_token=None, typ="dpop+jwt",
          alg="ES256", **claims):
    from idp.oauth.dpop import b64url_sha256

    htu = idp_or_url if isinstance(idp_or_url, str) else idp_or_url.url + path
    body = {"jti": uuid.uuid4().hex, "htm": method, "htu": htu, "iat": int(time.time()), **claims}
    if access_token:
        body["ath"] = b64url_sha256(access_token)
    header = {"typ": typ, "alg": alg, "jwk": key.as_dict(private=False)}
    return jwt.encode(header, body, key, algorithms=[alg])


@pytest.fixture
def service(idp):
    client, secret = idp.create_client(name="DPoP service", redirect_uris=[], grant_types=["client_credentials"],
                                       scope="openid")
    return client, secret


def client_credentials(idp, service, dpop=None):
    client, secret = service
    headers = {"DPoP": dpop} if dpop else {}
    return requests.post(idp.endpoint("/token"), auth=(client.client_id, secret), headers=headers, timeout=5,
                         data={"grant_type": "client_credentials"})


def test_discovery_lists_dpop_algorithms_rfc9449_5_1(idp):
    algs = discover(idp)["dpop_signing_alg_values_supported"]
    assert "ES256" in algs and "none" not in algs and "HS256" not in algs


def test_dpop_bound_access_token_rfc9449_5_and_6(idp, service):
    response = client_credentials(idp, service, proof(idp))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "DPoP"
    claims = jwt.decode(body["access_token"], _jwks(idp)).claims
    assert claims["cnf"] == {"jkt": ES256_KEY.thumbprint()}
    client, secret = service
    intro = requests.post(idp.endpoint("/introspect"), auth=(client.client_id, secret), timeout=5,
                          data={"token": body["access_token"]}).json()
    assert intro["active"] and intro["token_type"] == "DPoP" and intro["cnf"]["jkt"] == ES256_KEY.thumbprint()


def _jwks(idp):
    from joserfc.jwk import KeySet

    return KeySet.import_key_set(requests.get(idp.endpoint("/jwks.json"), timeout=5).json())


def dpop_token_for_user(idp, browser, client, user, key=ES256_KEY):
    rp, meta = relying_party(idp, client, "openid email offline_access")
    verifier = generate_token(48)
    url, _ = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce="n")
    code = callback_params(browser.authorize(url, user.email))["code"]
    return rp.fetch_token(meta["token_endpoint"], code=code, code_verifier=verifier,
                          headers={"DPoP": proof(idp, key=key)})


def test_userinfo_enforces_the_binding_rfc9449_7(idp, browser, public_client, user):
    token = dpop_token_for_user(idp, browser, public_client, user)
    assert token["token_type"] == "DPoP"
    access = token["access_token"]
    ok = requests.get(idp.endpoint("/userinfo"), timeout=5, headers={
        "Authorization": f"DPoP {access}", "DPoP": proof(idp, "GET", "/userinfo", access_token=access)})
    assert ok.status_code == 200 and ok.json()["sub"] == user.id

    as_bearer = requests.get(idp.endpoint("/userinfo"), headers={"Authorization": f"Bearer {access}"}, timeout=5)
    assert as_bearer.status_code == 401 and "invalid_token" in as_bearer.headers["WWW-Authenticate"]

    no_proof = requests.get(idp.endpoint("/userinfo"), headers={"Authorization": f"DPoP {access}"}, timeout=5)
    assert no_proof.status_code == 401 and no_proof.headers["WWW-Authenticate"].startswith("DPoP ")
    assert no_proof.json()["error"] == "invalid_dpop_proof"

    other_key = ECKey.generate_key("P-256", private=True)
    for bad in (proof(idp, "GET", "/userinfo", key=other_key, access_token=access),
                proof(idp, "GET", "/userinfo", access_token="another token"),
                proof(idp, "POST", "/userinfo", access_token=access)):
        response = requests.get(idp.endpoint("/userinfo"), timeout=5,
                                headers={"Authorization": f"DPoP {access}", "DPoP": bad})
        assert response.status_code == 401 and response.json()["error"] == "invalid_dpop_proof"


def test_public_clients_refresh_tokens_are_bound_rfc9449_5(idp, browser, public_client, user):
    token = dpop_token_for_user(idp, browser, public_client, user)
    data = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"], "client_id": public_client.client_id}
    stranger = requests.post(idp.endpoint("/token"), data=data, timeout=5,
                             headers={"DPoP": proof(idp, key=ECKey.generate_key("P-256", private=True))})
    assert stranger.status_code == 400 and stranger.json()["error"] == "invalid_grant"
    without = requests.post(idp.endpoint("/token"), data=data, timeout=5)
    assert without.status_code == 400 and without.json()["error"] == "invalid_grant"
    same = requests.post(idp.endpoint("/token"), data=data, timeout=5, headers={"DPoP": proof(idp)})
    assert same.status_code == 200, same.text
    assert same.json()["token_type"] == "DPoP"


@pytest.mark.parametrize("case", ["htm", "htu", "stale iat", "future iat", "typ", "alg HS256", "private jwk",
                                  "no jti", "garbage", "two headers", "bad signature"])
def test_bad_proofs_are_invalid_dpop_proof_rfc9449_4_3(idp, service, case):
    headers = None
    if case == "htm":
        value = proof(idp, method="GET")
    elif case == "htu":
        value = proof(idp, path="/userinfo")
    elif case == "stale iat":
        value = proof(idp, iat=int(time.time()) - 600)
    elif case == "future iat":
        value = proof(idp, iat=int(time.time()) + 600)
    elif case == "typ":
        value = proof(idp, typ="JWT")
    elif case == "alg HS256":
        secret = OctKey.generate_key(256)
        value = jwt.encode({"typ": "dpop+jwt", "alg": "HS256", "jwk": secret.as_dict()},
                           {"jti": "x", "htm": "POST", "htu": idp.url + "/token", "iat": int(time.time())}, secret)
    elif case == "private jwk":
        value = jwt.encode({"typ": "dpop+jwt", "alg": "ES256", "jwk": ES256_KEY.as_dict(private=True)},
                           {"jti": "y", "htm": "POST", "htu": idp.url + "/token", "iat": int(time.time())}, ES256_KEY)
    elif case == "no jti":
        value = proof(idp, jti="")
    elif case == "garbage":
        value = "not.a.jwt"
    elif case == "bad signature":
        good = proof(idp)
        value = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    else:
        value = None
        headers = [proof(idp), proof(idp)]
    client, secret = service
    if headers:  # requests cannot repeat a header: http.client can
        import base64
        import http.client
        from urllib.parse import urlsplit

        conn = http.client.HTTPConnection(urlsplit(idp.url).netloc, timeout=5)
        conn.putrequest("POST", "/token")
        body = b"grant_type=client_credentials"
        basic = base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
        for name, header_value in [("Authorization", f"Basic {basic}"),
                                   ("Content-Type", "application/x-www-form-urlencoded"),
                                   ("Content-Length", str(len(body))), ("DPoP", headers[0]), ("DPoP", headers[1])]:
            conn.putheader(name, header_value)
        conn.endheaders(body)
        raw = conn.getresponse()
        import json

        assert raw.status == 400 and json.loads(raw.read())["error"] == "invalid_dpop_proof"
        return
    response = requests.post(idp.endpoint("/token"), auth=(client.client_id, secret), timeout=5,
                             data={"grant_type": "client_credentials"},
                             headers=headers if headers else {"DPoP": value})
    assert response.status_code == 400 and response.json()["error"] == "invalid_dpop_proof", response.text


def test_replayed_proof_is_refused_rfc9449_11_1(idp, service):
    value = proof(idp)
    assert client_credentials(idp, service, value).status_code == 200
    replay = client_credentials(idp, service, value)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_dpop_proof"


def test_rsa_proofs_work_too(idp, service):
    key = RSAKey.generate_key(2048, private=True)
    assert client_credentials(idp, service, proof(idp, key=key, alg="PS256")).json()["token_type"] == "DPoP"


def test_client_registered_for_dpop_must_send_a_proof_rfc9449_5_2(idp):
    client, secret = idp.create_client(redirect_uris=[], grant_types=["client_credentials"], scope="openid",
                                       metadata={"dpop_bound_access_tokens": True})
    response = client_credentials(idp, (client, secret))
    assert response.status_code == 400 and response.json()["error"] == "invalid_dpop_proof"
    assert client_credentials(idp, (client, secret), proof(idp)).json()["token_type"] == "DPoP"


def test_bearer_tokens_stay_bearer_without_a_proof(idp, service):
    assert client_credentials(idp, service).json()["token_type"] == "Bearer"


@pytest.fixture(scope="module")
def nonce_idp(tmp_path_factory):
    live, stop = start_idp("embedded", tmp_path_factory, dpop_require_nonce=True)
    yield live
    stop()


def test_server_nonce_is_required_when_configured_rfc9449_8(nonce_idp):
    client, secret = nonce_idp.create_client(redirect_uris=[], grant_types=["client_credentials"], scope="openid")
    first = client_credentials(nonce_idp, (client, secret), proof(nonce_idp))
    assert first.status_code == 400 and first.json()["error"] == "use_dpop_nonce"
    nonce = first.headers["DPoP-Nonce"]
    again = client_credentials(nonce_idp, (client, secret), proof(nonce_idp, nonce=nonce))
    assert again.status_code == 200 and again.json()["token_type"] == "DPoP"
    stale = client_credentials(nonce_idp, (client, secret), proof(nonce_idp, nonce="made-up"))
    assert stale.json()["error"] == "use_dpop_nonce"


def _code(idp, browser, client, user, url_extra=None, pushed_with=None):
    """A code for client; the request carries url_extra, or is pushed with a DPoP proof from pushed_with."""
    from urllib.parse import parse_qsl, urlencode, urlsplit

    rp, meta = relying_party(idp, client, "openid")
    verifier = generate_token(48)
    url, _ = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce="n",
                                         **(url_extra or {}))
    if pushed_with is not None:
        params = dict(parse_qsl(urlsplit(url).query))
        pushed = requests.post(idp.endpoint("/par"), data=params, timeout=5,
                               headers={"DPoP": proof(idp, path="/par", key=pushed_with)})
        assert pushed.status_code == 201, pushed.text
        url = meta["authorization_endpoint"] + "?" + urlencode({"client_id": client.client_id,
                                                                "request_uri": pushed.json()["request_uri"]})
    return callback_params(browser.authorize(url, user.email))["code"], verifier


def _redeem(idp, client, code, verifier, key):
    headers = {"DPoP": proof(idp, key=key)} if key else {}
    return requests.post(idp.endpoint("/token"), headers=headers, timeout=5, data={
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "redirect_uri": REDIRECT_URI, "client_id": client.client_id})


@pytest.mark.parametrize("via", ["dpop_jkt", "par"])
def test_code_bound_to_a_dpop_key_rfc9449_10(idp, browser, public_client, user, via):
    other = ECKey.generate_key("P-256", private=True)
    for key, expected in ((other, 400), (None, 400), (ES256_KEY, 200)):
        if via == "dpop_jkt":
            code, verifier = _code(idp, browser, public_client, user, {"dpop_jkt": ES256_KEY.thumbprint()})
        else:
            code, verifier = _code(idp, browser, public_client, user, pushed_with=ES256_KEY)
        response = _redeem(idp, public_client, code, verifier, key)
        assert response.status_code == expected, response.text
        if expected == 400:
            assert response.json()["error"] == "invalid_dpop_proof"
        else:
            assert response.json()["token_type"] == "DPoP"
