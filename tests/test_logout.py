"""RP-Initiated Logout 1.0 and Back-Channel Logout 1.0, end to end: authlib's client signs in,
the RP sends the user to the end_session_endpoint from discovery, and a real local HTTP
receiver validates the logout tokens like an RP."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from .conftest import Browser, hidden_fields
from .rp_server import RelyingPartyServer
from .test_code_flow import discover, run_code_flow

POST_LOGOUT = "http://127.0.0.1:8080/signed-out"


@pytest.fixture
def receiver(idp):
    server = RelyingPartyServer()
    server.issuer = idp.url
    yield server
    server.close()


@pytest.fixture
def logout_client(idp, receiver):
    client, secret = idp.create_client(metadata={
        "post_logout_redirect_uris": [POST_LOGOUT],
        "backchannel_logout_uri": receiver.url + "/backchannel",
        "backchannel_logout_session_required": True,
    })
    receiver.client_id = client.client_id
    return dataclasses.replace(client, client_metadata={**client.client_metadata, "secret": secret})


def end_session_url(idp, **params) -> str:
    return discover(idp)["end_session_endpoint"] + "?" + urlencode(params)


def signed_in(browser) -> bool:
    return "Signed in" in browser.go(browser.idp.endpoint("/")).text


def test_discovery_advertises_logout_rpinitiated_2_1_and_backchannel_2_1(idp):
    meta = discover(idp)
    assert meta["end_session_endpoint"] == idp.url + "/end_session"
    assert meta["backchannel_logout_supported"] is True
    assert meta["backchannel_logout_session_supported"] is True
    assert "frontchannel_logout_supported" not in meta


def test_logout_with_id_token_hint_redirects_with_state_and_notifies_the_rp_rpinitiated_3(
        idp, browser, logout_client, user, receiver):
    _, _, token, _, _ = run_code_flow(idp, browser, logout_client, user)
    assert signed_in(browser)
    response = browser.go(end_session_url(idp, id_token_hint=token["id_token"],
                                          post_logout_redirect_uri=POST_LOGOUT, state="st-1"))
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == POST_LOGOUT
    assert parse_qs(location.query) == {"state": ["st-1"]}
    assert not signed_in(browser)

    deliveries = receiver.wait_for_logouts(1)
    assert deliveries[0]["status"] == 200, deliveries
    claims = deliveries[0]["claims"]
    id_claims = requests.post(idp.endpoint("/introspect"), data={"token": token["access_token"]}, timeout=5,
                              auth=(logout_client.client_id, logout_client.client_metadata["secret"])).json()
    assert claims["sub"] == user.id == id_claims["sub"]
    assert claims["sid"]


def test_logout_token_sid_matches_the_id_token_backchannel_2_4(idp, browser, logout_client, user, receiver):
    from joserfc import jwt

    _, _, token, _, _ = run_code_flow(idp, browser, logout_client, user)
    sid = jwt.decode(token["id_token"], _jwks(idp)).claims["sid"]
    browser.go(end_session_url(idp, id_token_hint=token["id_token"]))
    assert receiver.wait_for_logouts(1)[0]["claims"]["sid"] == sid


def _jwks(idp):
    from joserfc.jwk import KeySet

    return KeySet.import_key_set(requests.get(idp.endpoint("/jwks.json"), timeout=5).json())


def test_logout_without_hint_asks_the_user_first_rpinitiated_6(idp, browser, logout_client, user, receiver):
    run_code_flow(idp, browser, logout_client, user)
    page = browser.go(end_session_url(idp, client_id=logout_client.client_id,
                                      post_logout_redirect_uri=POST_LOGOUT, state="s2"))
    assert page.status_code == 200 and "asks to sign you out" in page.text
    assert logout_client.name in page.text
    assert signed_in(browser)  # nothing ended before the user confirms

    fields = hidden_fields(page.text)
    response = browser.go(idp.endpoint("/logout"), "POST", fields)
    assert response.status_code == 302
    assert response.headers["Location"] == POST_LOGOUT + "?state=s2"
    assert not signed_in(browser)
    assert receiver.wait_for_logouts(1)[0]["status"] == 200

    again = browser.go(idp.endpoint("/logout"), "POST", fields)  # the confirmed request is one-time
    assert again.status_code == 400


def test_confirmation_without_csrf_token_does_not_sign_out(idp, browser, logout_client, user):
    run_code_flow(idp, browser, logout_client, user)
    page = browser.go(end_session_url(idp, client_id=logout_client.client_id))
    fields = hidden_fields(page.text)
    fields.pop("csrf_token")
    assert browser.go(idp.endpoint("/logout"), "POST", fields).status_code == 400
    assert signed_in(browser)


def test_hint_for_another_session_asks_for_confirmation_rpinitiated_6(idp, browser, logout_client, user):
    _, _, token, _, _ = run_code_flow(idp, browser, logout_client, user)
    other = Browser(idp)
    run_code_flow(idp, other, logout_client, idp.create_user())
    page = other.go(end_session_url(idp, id_token_hint=token["id_token"], post_logout_redirect_uri=POST_LOGOUT))
    assert page.status_code == 200 and "asks to sign you out" in page.text
    assert signed_in(other)


def test_unregistered_post_logout_redirect_uri_is_not_followed_rpinitiated_3(idp, browser, logout_client, user):
    _, _, token, _, _ = run_code_flow(idp, browser, logout_client, user)
    for uri in ("https://attacker.example/x", POST_LOGOUT + "/", POST_LOGOUT + "?x=1"):
        response = browser.go(end_session_url(idp, id_token_hint=token["id_token"], post_logout_redirect_uri=uri))
        assert response.status_code == 200 and "Location" not in response.headers
        assert "You are signed out" in response.text


@pytest.mark.parametrize("hint", ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."])
def test_invalid_id_token_hint_is_an_error_page_never_a_redirect_rpinitiated_4(idp, browser, logout_client, hint):
    response = browser.go(end_session_url(idp, id_token_hint=hint, post_logout_redirect_uri=POST_LOGOUT))
    assert response.status_code == 400 and "Location" not in response.headers


def test_access_token_is_not_an_id_token_hint(idp, browser, logout_client, user):
    _, _, token, _, _ = run_code_flow(idp, browser, logout_client, user)
    response = browser.go(end_session_url(idp, id_token_hint=token["access_token"],
                                          post_logout_redirect_uri=POST_LOGOUT))
    assert response.status_code == 400 and signed_in(browser)


def test_client_id_must_be_the_hints_audience_rpinitiated_2(idp, browser, logout_client, client, user):
    _, _, token, _, _ = run_code_flow(idp, browser, logout_client, user)
    response = browser.go(end_session_url(idp, id_token_hint=token["id_token"], client_id=client.client_id,
                                          post_logout_redirect_uri=POST_LOGOUT))
    assert response.status_code == 400 and "Location" not in response.headers


def test_end_session_accepts_post_rpinitiated_2(idp, browser, logout_client, user):
    _, _, token, _, _ = run_code_flow(idp, browser, logout_client, user)
    response = browser.go(idp.endpoint("/end_session"), "POST",
                          {"id_token_hint": token["id_token"], "post_logout_redirect_uri": POST_LOGOUT})
    assert response.status_code == 302 and response.headers["Location"] == POST_LOGOUT
    assert not signed_in(browser)


def test_backchannel_delivery_is_retried_after_a_server_error_backchannel_2_8(
        idp, browser, logout_client, user, receiver):
    receiver.logout_statuses = [503]
    _, _, token, _, _ = run_code_flow(idp, browser, logout_client, user)
    browser.go(end_session_url(idp, id_token_hint=token["id_token"]))
    deliveries = receiver.wait_for_logouts(2)
    assert [d["status"] for d in deliveries] == [503, 200], deliveries


def test_hosted_sign_out_page_also_notifies_relying_parties(idp, browser, logout_client, user, receiver):
    run_code_flow(idp, browser, logout_client, user)
    page = browser.go(idp.endpoint("/logout"))
    browser.go(idp.endpoint("/logout"), "POST", hidden_fields(page.text))
    assert not signed_in(browser)
    assert receiver.wait_for_logouts(1)[0]["status"] == 200


def test_logout_token_to_a_private_address_is_refused_by_the_outbound_guard(idp):
    from idp.plumbing.outbound import Outbound, OutboundError

    guard = Outbound(allowed_hosts=())
    for url in ("http://127.0.0.1:9/x", "http://10.0.0.1/x", "http://169.254.169.254/latest", "http://[::1]/x",
                "ftp://example.com/x", "http://user:pw@example.com/"):
        with pytest.raises(OutboundError):
            guard.check_url(url)


def test_ending_a_session_from_the_account_page_notifies_its_relying_parties_backchannel_2_7(
        idp, logout_client, user, receiver):
    from .flows import submit

    phone, laptop = Browser(idp), Browser(idp)
    run_code_flow(idp, phone, logout_client, user)  # the phone's session gave the RP an ID token
    laptop.login(laptop.go(idp.endpoint("/login")), user.email)
    page = laptop.go(idp.endpoint("/account"))
    submit(laptop, "/account/sessions/end", page, handle="others")
    assert not signed_in(phone)
    logouts = receiver.wait_for_logouts(1)
    assert logouts[0]["status"] == 200
