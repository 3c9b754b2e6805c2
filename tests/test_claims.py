"""The claims parameter (OIDC Core 5.5), acr (2, 5.5.1.1) and pairwise subjects (8), end to end
with authlib's client; and the outbound guard refusing a private address at registration."""

from __future__ import annotations

import dataclasses
import json

import pytest
import requests
from authlib.common.security import generate_token

from idp.accounts.mfa import ACR_MFA, ACR_PASSWORD

from .conftest import REDIRECT_URI, callback_params
from .rp_server import RelyingPartyServer
from .test_code_flow import discover, relying_party, run_code_flow, validate_id_token


def with_secret(pair):
    client, secret = pair
    return dataclasses.replace(client, client_metadata={**client.client_metadata, "secret": secret})


def test_discovery_advertises_claims_acr_and_pairwise_oidc_discovery_3(idp):
    meta = discover(idp)
    assert meta["claims_parameter_supported"] is True
    assert meta["subject_types_supported"] == ["public", "pairwise"]
    assert meta["acr_values_supported"] == [ACR_PASSWORD, ACR_MFA]
    assert "acr" in meta["claims_supported"]


def test_claims_parameter_brings_in_the_claims_scope_oidc_core_5_5(idp, browser, client, user):
    claims = json.dumps({"userinfo": {"email": None}, "id_token": {"email_verified": {"essential": True}}})
    rp, meta = relying_party(idp, client, scope="openid")
    verifier = generate_token(48)
    url, _ = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce="n",
                                         claims=claims)
    page = browser.go(url)
    page = browser.login(page, user.email)
    assert 'data-scope="email"' in page.text  # the user sees what the claims request adds
    params = callback_params(browser.consent(page))
    token = rp.fetch_token(meta["token_endpoint"], code=params["code"], code_verifier=verifier)
    assert set(token["scope"].split()) == {"openid", "email"}
    assert rp.get(meta["userinfo_endpoint"]).json()["email"] == user.email
    assert validate_id_token(meta, token["id_token"], client.client_id, "n").claims["email_verified"] is True


@pytest.mark.parametrize("claims", ["not json", "[]", '{"other": {}}', '{"userinfo": {"email": 1}}'])
def test_malformed_claims_parameter_is_invalid_request_oidc_core_5_5(idp, browser, client, user, claims):
    rp, meta = relying_party(idp, client)
    url, _ = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=generate_token(48),
                                         claims=claims)
    assert callback_params(browser.authorize(url, user.email))["error"] == "invalid_request"


def test_id_token_carries_acr_and_voluntary_acr_values_do_not_fail_oidc_core_2(idp, browser, client, user):
    _, meta, token, nonce, _ = run_code_flow(idp, browser, client, user, acr_values="urn:example:mfa")
    assert validate_id_token(meta, token["id_token"], client.client_id, nonce).claims["acr"] == ACR_PASSWORD


def test_essential_acr_we_cannot_meet_is_refused_oidc_core_5_5_1_1(idp, browser, client, user):
    claims = json.dumps({"id_token": {"acr": {"essential": True, "values": ["urn:example:mfa"]}}})
    rp, meta = relying_party(idp, client)
    url, state = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=generate_token(48),
                                             claims=claims)
    params = callback_params(browser.authorize(url, user.email))
    assert params["error"] == "unmet_authentication_requirements" and params["state"] == state


def test_pairwise_subjects_differ_per_sector_and_are_consistent_oidc_core_8_1(idp, browser, client, user):
    first = with_secret(idp.create_client(metadata={"subject_type": "pairwise"}))
    other_sector = with_secret(idp.create_client(metadata={
        "subject_type": "pairwise", "sector_identifier_uri": "https://other.example/sector.json"}))
    subs = []
    for rp_client in (first, other_sector, first):
        rp, meta, token, nonce, _ = run_code_flow(idp, browser, rp_client, user, scope="openid email")
        sub = validate_id_token(meta, token["id_token"], rp_client.client_id, nonce).claims["sub"]
        assert rp.get(meta["userinfo_endpoint"]).json()["sub"] == sub
        intro = requests.post(idp.endpoint("/introspect"), data={"token": token["access_token"]}, timeout=5,
                              auth=(rp_client.client_id, rp_client.client_metadata["secret"])).json()
        assert intro["sub"] == sub
        subs.append(sub)
    assert subs[0] == subs[2] != subs[1]
    assert user.id not in subs
    _, meta, token, nonce, _ = run_code_flow(idp, browser, client, user)
    assert validate_id_token(meta, token["id_token"], client.client_id, nonce).claims["sub"] == user.id


@pytest.fixture
def sector_server():
    server = RelyingPartyServer()
    yield server
    server.close()


def registration(idp, metadata):
    token = idp.services.initial_access_tokens.create(600)
    return requests.post(idp.endpoint("/connect/register"), json=metadata, timeout=5,
                         headers={"Authorization": f"Bearer {token}"})


def test_pairwise_registration_checks_the_sector_identifier_uri_oidc_registration_5(idp, sector_server):
    sector_server.documents["/sector.json"] = [REDIRECT_URI, "https://app.example/cb"]
    base = {"redirect_uris": [REDIRECT_URI, "https://app.example/cb"], "subject_type": "pairwise"}
    assert registration(idp, base).json()["error"] == "invalid_client_metadata"  # two hosts, no sector
    ok = registration(idp, {**base, "sector_identifier_uri": sector_server.url + "/sector.json"})
    assert ok.status_code == 201, ok.text
    sector_server.documents["/short.json"] = [REDIRECT_URI]
    missing = registration(idp, {**base, "sector_identifier_uri": sector_server.url + "/short.json"})
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_client_metadata"


def test_outbound_request_to_a_private_address_is_refused(idp, sector_server):
    """`localhost` resolves to loopback and is not in OUTBOUND_ALLOWED_HOSTS (only 127.0.0.1 is)."""
    sector_server.documents["/sector.json"] = [REDIRECT_URI]
    port = sector_server.url.rsplit(":", 1)[1]
    response = registration(idp, {"redirect_uris": [REDIRECT_URI], "subject_type": "pairwise",
                                  "sector_identifier_uri": f"http://localhost:{port}/sector.json"})
    assert response.status_code == 400 and "non-public" in response.json()["error_description"]
    assert sector_server.gets == []


def test_requested_sub_value_is_only_answered_for_that_user_oidc_core_3_1_2_2(idp, browser, client, user):
    run_code_flow(idp, browser, client, user)  # signed in and consented
    rp, meta = relying_party(idp, client)
    someone_else = json.dumps({"id_token": {"sub": {"value": "another-user"}}})
    url, _ = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=generate_token(48),
                                         prompt="none", claims=someone_else)
    assert callback_params(browser.go(url))["error"] == "login_required"
    this_user = json.dumps({"id_token": {"sub": {"value": user.id}}})
    url, _ = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=generate_token(48),
                                         prompt="none", claims=this_user)
    assert callback_params(browser.go(url))["code"]
