"""Issue 30, 7: RP-initiated logout follows a post_logout_redirect_uri at once only with proof that
the relying party asked (a valid id_token_hint, RP-Initiated Logout 1.0 section 2). With only a
client_id, which anyone who registered a client can send, the user confirms first on the OP's own
page (a POST with a CSRF token): the issuer is not an open redirector for self-registered clients."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.conftest import Browser, hidden_fields
from tests.test_code_flow import run_code_flow
from tests.test_logout import POST_LOGOUT, end_session_url, logout_client, receiver  # noqa: F401  (fixtures)
from tests.test_registration import register

ELSEWHERE = "https://phish.example/landing"


@pytest.fixture
def self_registered(idp):
    """A client as an attacker registers it: its own redirect and post-logout URIs."""
    token = idp.services.initial_access_tokens.create(600, uses=1)
    response = register(idp, {"client_name": "Anyone", "redirect_uris": ["https://phish.example/cb"],
                              "post_logout_redirect_uris": [ELSEWHERE]}, token)
    assert response.status_code == 201, response.text
    return response.json()["client_id"]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_client_id_alone_never_redirects_without_the_users_confirmation_rpinitiated_2(idp, self_registered, method):
    browser = Browser(idp)  # no session at this IdP: nothing to end, but the redirect is the harm
    params = {"client_id": self_registered, "post_logout_redirect_uri": ELSEWHERE, "state": "x"}
    if method == "GET":
        page = browser.go(end_session_url(idp, **params))
    else:
        page = browser.go(idp.endpoint("/end_session"), "POST", params)
    assert page.status_code == 200, (page.status_code, page.headers.get("Location"))
    assert urlsplit(page.final_url).path == "/logout"
    assert "https://phish.example" in page.text and "Anyone" in page.text
    assert "phish.example/landing" not in page.text  # the page names the origin, not the request's text

    fields = hidden_fields(page.text)
    no_csrf = {k: v for k, v in fields.items() if k != "csrf_token"}
    refused = browser.go(idp.endpoint("/logout"), "POST", no_csrf)
    assert refused.status_code == 400 and "Location" not in refused.headers

    confirmed = browser.go(idp.endpoint("/logout"), "POST", fields)
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == ELSEWHERE + "?state=x"
    assert browser.go(idp.endpoint("/logout"), "POST", fields).status_code == 400  # once only


def test_a_signed_in_user_is_asked_too_and_the_page_names_the_destination_rpinitiated_6(
        idp, browser, logout_client, user):  # noqa: F811
    run_code_flow(idp, browser, logout_client, user)
    page = browser.go(end_session_url(idp, client_id=logout_client.client_id, post_logout_redirect_uri=POST_LOGOUT))
    assert page.status_code == 200 and "asks to sign you out" in page.text
    assert "http://127.0.0.1:8080" in page.text
    done = browser.go(idp.endpoint("/logout"), "POST", hidden_fields(page.text))
    assert done.status_code == 302 and done.headers["Location"] == POST_LOGOUT


def test_a_valid_id_token_hint_still_redirects_at_once_without_a_session_rpinitiated_3(
        idp, browser, logout_client, user):  # noqa: F811
    _, _, token, _, _ = run_code_flow(idp, browser, logout_client, user)
    elsewhere = Browser(idp)  # the hint is proof the RP asked, whichever browser carries it
    response = elsewhere.go(end_session_url(idp, id_token_hint=token["id_token"],
                                            post_logout_redirect_uri=POST_LOGOUT, state="s"))
    assert response.status_code == 302 and response.headers["Location"] == POST_LOGOUT + "?state=s"


def test_without_a_redirect_uri_an_anonymous_request_just_shows_the_signed_out_page(idp, self_registered):
    page = Browser(idp).go(end_session_url(idp, client_id=self_registered))
    assert page.status_code == 200 and "You are signed out." in page.text
    assert "logout_request" not in page.text  # nothing to confirm: no form
