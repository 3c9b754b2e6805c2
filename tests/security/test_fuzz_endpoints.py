"""Issue 30, "Keep it fixed": a fuzz pass over the OAuth/OIDC endpoints' parameters, on both
backends (the hosted pages' forms: test_fuzz_pages.py). Each example is one hostile request (values
from fuzz.py: markup, quotes, CRLF, `javascript:` URLs, NUL, huge values, repeated and junk
parameters, bodies that are not UTF-8 or not the content type they claim), sent with real
credentials often enough to reach the code behind the checks. Every response keeps
fuzz.check_response's invariants (no 5xx, no exception text, no unescaped echo, no input in a
header), and the run log gains no traceback.
"""

from __future__ import annotations

import base64
import dataclasses
import json

import pytest
import requests
from hypothesis import strategies as st

from ..conftest import REDIRECT_URI
from .fuzz_targets import GRANTS, Targets, mostly, run, run_log, sending, targets  # noqa: F401  (fixtures)
from .fuzz import Hostile, form_request, header_value, hostile_headers, hostile_text


def authorize_fields(t: Targets) -> dict:
    return {
        "response_type": mostly("code", "code id_token", "token", "none", "code code"),
        "client_id": mostly(t.client_id, t.public_id, t.device_id),
        "redirect_uri": mostly(REDIRECT_URI, REDIRECT_URI + "/x", "http://127.0.0.1:8080/callback?a=1"),
        "scope": mostly("openid", "openid profile email offline_access", "openid groups roles"),
        "state": st.one_of(st.just("s"), hostile_text()), "nonce": st.one_of(st.just("n"), hostile_text()),
        "code_challenge": st.just("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
        "code_challenge_method": mostly("S256", "plain", "s256"),
    }


def authorize_extras(t: Targets) -> dict:
    """Parameters that change what kind of request it is: absent unless drawn."""
    return {
        "prompt": st.sampled_from(["none", "login", "consent", "select_account", "none login"]),
        "max_age": st.sampled_from(["0", "60", "-1", "1e9"]),
        "response_mode": st.sampled_from(["query", "fragment", "form_post", "jwt"]),
        "login_hint": hostile_text(), "ui_locales": st.sampled_from(["fr", "de en"]), "acr_values": hostile_text(),
        "id_token_hint": st.just(t.id_token), "claims": st.just('{"userinfo":{"email":null}}'),
        "request": st.just("eyJhbGciOiJub25lIn0.e30."), "request_uri": st.just("urn:ietf:params:oauth:request_uri:x"),
        "resource": st.just("https://api.example/"),
    }


def client_auth(t: Targets, always: bool = True) -> st.SearchStrategy[dict]:
    """Basic credentials, right or hostile (always, or only sometimes); sometimes a garbage DPoP proof."""
    basic = st.sampled_from([t.basic, "Basic " + base64.b64encode(b"\xff:\xfe").decode(), "Basic !!!", "Basic",
                             "Bearer " + t.access_token])
    dpop = st.sampled_from(["x.y.z", "e30.e30.e30"])
    return hostile_headers({"Authorization": basic}, DPoP=dpop) if always else \
        hostile_headers(Authorization=basic, DPoP=dpop)


# -- the protocol endpoints --------------------------------------------------------------
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_authorize_parameters_keep_the_invariants_rfc6749_4_1_1(targets, run_log, method):
    signed_in = targets.signed_in()

    def plan(data):
        http = signed_in.http if data.draw(st.booleans()) else requests.Session()
        return data.draw(form_request(method, "/authorize", authorize_fields(targets), hostile_headers(),
                                      authorize_extras(targets))).send(targets.idp.url, http)

    run(plan, {302, 303})


def test_token_requests_of_every_grant_keep_the_invariants_rfc6749_5_2(targets, run_log):
    t = targets
    fields = {
        "grant_type": st.sampled_from(GRANTS), "code": hostile_text(), "redirect_uri": st.just(REDIRECT_URI),
        "code_verifier": st.just("x" * 43), "refresh_token": st.just(t.tokens()["refresh_token"]),
    }
    extras = {
        "scope": st.sampled_from(["openid", "orders:read", "openid offline_access"]),
        "resource": st.sampled_from(["https://api.example/", "not a uri"]), "device_code": hostile_text(),
        "client_id": st.sampled_from([t.client_id, t.public_id, t.device_id]), "client_secret": st.just(t.secret),
        "client_assertion_type": st.just("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        "client_assertion": st.just("e30.e30.e30"),
    }
    run(sending(t, form_request("POST", "/token", fields, client_auth(t), extras)), {200})


@pytest.mark.parametrize("path", ["/introspect", "/revoke"])
def test_introspection_and_revocation_keep_the_invariants_rfc7662_rfc7009(targets, run_log, path):
    t = targets
    tokens = t.tokens()
    fields = {"token": st.sampled_from([tokens["access_token"], tokens["refresh_token"], t.id_token, "x" * 40]),
              "token_type_hint": st.sampled_from(["access_token", "refresh_token", "id_token"])}
    extras = {"client_id": st.just(t.client_id), "client_secret": st.just(t.secret)}
    run(sending(t, form_request("POST", path, fields, client_auth(t), extras)), {200})


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_userinfo_headers_and_body_keep_the_invariants_rfc6750_2(targets, run_log, method):
    t = targets
    token = t.tokens()["access_token"]
    bearer = st.one_of(st.sampled_from([f"Bearer {token}", "Bearer", "bearer  " + token, "DPoP " + token,
                                        f"Bearer {t.id_token}", t.basic]),
                       hostile_text().map(lambda s: "Bearer " + header_value(s)))
    run(sending(t, form_request(method, "/userinfo", {}, hostile_headers({"Authorization": bearer}),
                                {"access_token": st.just(token)})), {200})


def test_pushed_authorization_requests_keep_the_invariants_rfc9126_2(targets, run_log):
    t = targets
    extras = authorize_extras(t) | {"client_secret": st.just(t.secret)}
    run(sending(t, form_request("POST", "/par", authorize_fields(t), client_auth(t), extras)), {201})


def test_device_authorization_keeps_the_invariants_rfc8628_3_1(targets, run_log):
    t = targets
    fields = {"client_id": st.sampled_from([t.device_id, t.client_id]), "scope": st.sampled_from(["openid", "x y"])}
    run(sending(t, form_request("POST", "/device_authorization", fields, client_auth(t, always=False))), {200})


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_end_session_keeps_the_invariants_rp_initiated_logout_2(targets, run_log, method):
    t = targets
    fields = {"id_token_hint": st.just(t.id_token), "client_id": st.just(t.client_id),
              "post_logout_redirect_uri": st.sampled_from([REDIRECT_URI + "/bye", REDIRECT_URI]),
              "state": hostile_text(), "logout_hint": hostile_text(), "ui_locales": hostile_text()}
    run(sending(t, form_request(method, "/end_session", fields, hostile_headers())), {302})


@pytest.mark.parametrize("path", ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server",
                                  "/jwks.json", "/openapi.json", "/health", "/brand.css"])
def test_published_documents_ignore_hostile_query_strings_and_headers(targets, run_log, path):
    run(sending(targets, form_request("GET", path, {"x": hostile_text()}, hostile_headers())), {200, 304})


JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), hostile_text())
METADATA = ("redirect_uris", "client_name", "grant_types", "response_types", "scope", "token_endpoint_auth_method",
            "logo_uri", "client_uri", "policy_uri", "tos_uri", "jwks", "jwks_uri", "contacts",
            "post_logout_redirect_uris", "backchannel_logout_uri", "initiate_login_uri", "sector_identifier_uri",
            "subject_type", "id_token_signed_response_alg", "software_statement", "client_id", "client_secret")


def hostile_metadata() -> st.SearchStrategy:
    """Client metadata of hostile shapes: wrong types, hostile strings, shallow nesting, unknown keys
    (deep nesting is part 6 of issue 30: test_deeply_nested_json_is_the_endpoints_400)."""
    value = st.recursive(JSON_LEAVES, lambda inner: st.lists(inner, max_size=3) |
                         st.dictionaries(hostile_text().map(lambda s: s[:30]), inner, max_size=3), max_leaves=8)
    lists = ("redirect_uris", "grant_types", "contacts", "post_logout_redirect_uris")
    optional = {name: value for name in METADATA} | {name: st.lists(hostile_text(), max_size=2) for name in lists}
    valid = {"redirect_uris": st.just([REDIRECT_URI]), "client_name": st.just("RP")}
    return st.fixed_dictionaries(valid).flatmap(lambda base: st.fixed_dictionaries({}, optional=optional)
                                                 .map(lambda extra: base | extra))


@st.composite
def registration_request(draw, method: str, path: str, token: str) -> Hostile:
    client_id = {"client_id": path.rsplit("/", 1)[1]} if method == "PUT" else {}  # RFC 7592 2.2: it is REQUIRED
    body = draw(st.one_of(hostile_metadata().map(lambda metadata: json.dumps(client_id | metadata)),
                          st.recursive(JSON_LEAVES, st.lists).map(json.dumps),
                          hostile_text()))
    content_type = draw(st.sampled_from(["application/json", "application/json; charset=latin-1", "text/plain",
                                         "application/x-www-form-urlencoded", None]))
    data = body.encode("utf-8", "surrogatepass")
    if draw(st.booleans()) and content_type == "application/json":
        data = data[:-1] + b"\xff\xfe}"
    auth = draw(st.sampled_from([f"Bearer {token}", "Bearer", f"Bearer {token}x", "Basic x"]))
    return Hostile(method, path, body=data, content_type=content_type, headers={"Authorization": auth})


def test_dynamic_registration_refuses_hostile_json_rfc7591_3_2_2(targets, run_log):
    t = targets
    token = t.idp.services.initial_access_tokens.create(600, uses=1000)
    run(sending(t, registration_request("POST", "/connect/register", token)), {201})


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_client_configuration_refuses_hostile_requests_rfc7592_2(targets, run_log, method):
    t = targets
    path = t.registration_uri[len(t.idp.url):]
    # DELETE is sent with wrong tokens only: the right one would end the client the other examples use
    token = t.registration_token if method != "DELETE" else "not-" + t.registration_token
    paths = st.sampled_from([path, path + "x", "/connect/register/%3Cfzq%3E", "/connect/register/" + "a" * 300])
    run(lambda data: dataclasses.replace(data.draw(registration_request(method, path, token)),
                                         path=data.draw(paths)).send(t.idp.url), {401} if method == "DELETE" else {200})


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_deeply_nested_json_is_the_endpoints_400(targets, method):
    t = targets
    token = t.idp.services.initial_access_tokens.create(600, uses=1)
    path = "/connect/register" if method == "POST" else t.registration_uri[len(t.idp.url):]
    auth = token if method == "POST" else t.registration_token
    response = Hostile(method, path, body=b"[" * 30_000 + b"]" * 30_000, content_type="application/json",
                       headers={"Authorization": f"Bearer {auth}"}).send(t.idp.url)
    assert response.status_code == 400
