"""oauth/direct.py answers client_credentials (RFC 6749 4.4) and introspection (RFC 7662 2) before
Flask, and only the plain successful case: the same body and headers the views give, and every
other request (an error, a repeated parameter, a DPoP proof, CORS, another grant) left to the views,
which answer it exactly as before. The lane is watched by recording what reaches the views."""

from __future__ import annotations

import re

import pytest
import requests

from idp.oauth.direct import DirectLane


def lane_of(app) -> DirectLane:
    layer = app.wsgi_app
    while not isinstance(layer, DirectLane):
        layer = layer.app
    return layer


@pytest.fixture
def views(idp, monkeypatch):
    """The paths that reached the Flask views during the test."""
    lane, seen = lane_of(idp.app), []
    inner = lane.app

    def recording(environ, start_response):
        seen.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    monkeypatch.setattr(lane, "app", recording)
    return seen


@pytest.fixture
def service(idp):
    client, secret = idp.create_client(grant_types=["client_credentials"], redirect_uris=[], name="Service")
    return client.client_id, secret


def post(idp, path, auth, data, **kwargs):
    return requests.post(idp.endpoint(path), auth=auth, data=data, timeout=5, **kwargs)


def the_views_answer(idp, monkeypatch, path, auth, data):
    """The same request with the lane declining it: what Flask alone answers."""
    with monkeypatch.context() as patch:
        patch.setattr(lane_of(idp.app), "answer", lambda *args: None)
        return post(idp, path, auth, data)


SERVERS = {"server", "date", "connection"}  # the test server's own
HEADERS = {"content-type", "cache-control", "pragma", "content-length", "x-content-type-options",
           "referrer-policy", "x-request-id"}


def test_client_credentials_rfc6749_4_4_is_answered_before_flask_as_the_view_answers(idp, views, service, monkeypatch):
    response = post(idp, "/token", service, {"grant_type": "client_credentials"})
    assert response.status_code == 200 and views == []
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    assert idp.services.tokens.validate_access_token(body["access_token"]) is not None
    assert {k.lower() for k in response.headers} - SERVERS == HEADERS
    assert response.headers["Cache-Control"] == "no-store"  # RFC 6749 5.1
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])

    flask_answer = the_views_answer(idp, monkeypatch, "/token", service, {"grant_type": "client_credentials"})
    assert flask_answer.status_code == 200
    assert set(flask_answer.json()) == set(body)
    assert {k.lower() for k in flask_answer.headers} - SERVERS == HEADERS


def test_introspection_rfc7662_2_is_answered_before_flask_with_the_views_body(idp, views, service, monkeypatch):
    token = post(idp, "/token", service, {"grant_type": "client_credentials"}).json()["access_token"]
    response = post(idp, "/introspect", service, {"token": token, "token_type_hint": "access_token"},
                    headers={"X-Request-ID": "rp-trace-7"})
    assert response.status_code == 200 and views == []
    assert response.json()["active"] is True and response.headers["X-Request-ID"] == "rp-trace-7"
    assert {k.lower() for k in response.headers} - SERVERS == HEADERS
    inactive = post(idp, "/introspect", service, {"token": "not-a-token"})
    assert inactive.status_code == 200 and inactive.json() == {"active": False}  # RFC 7662 2.2

    flask_answer = the_views_answer(idp, monkeypatch, "/introspect", service, {"token": token})
    assert flask_answer.json() == response.json()


@pytest.mark.parametrize("case", ["wrong secret", "repeated", "query", "dpop", "origin", "other grant",
                                  "assertion", "latin-1", "bad utf-8", "no body"])
def test_everything_but_the_plain_success_is_left_to_the_views(idp, views, service, case):
    """RFC 6749 3.2 (a repeated parameter is invalid_request), 5.2 (errors), RFC 9449 (DPoP) and CORS
    keep the views' code path: the lane declines them, and the answer is the one the views give."""
    url, data, headers, auth = idp.endpoint("/token"), "grant_type=client_credentials", {}, service
    content_type = "application/x-www-form-urlencoded"
    expected = 400
    if case == "wrong secret":
        auth, expected = (service[0], "wrong"), 401
    elif case == "repeated":
        data += "&grant_type=client_credentials"
    elif case == "query":
        url += "?x=1"
        expected = 200
    elif case == "dpop":
        headers["DPoP"] = "not.a.proof"
    elif case == "origin":
        headers["Origin"] = "https://spa.example"
        expected = 200
    elif case == "other grant":
        data = "grant_type=refresh_token&refresh_token=nothing"
    elif case == "assertion":
        data += "&client_assertion=x&client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        auth = None  # invalid_client, 400 without an Authorization header (RFC 6749 5.2)
    elif case == "latin-1":
        content_type += "; charset=ISO-8859-1"
        expected = 200
    elif case == "bad utf-8":
        data = b"grant_type=client_credentials&scope=%FF\xff"
    elif case == "no body":
        data = ""
    response = requests.post(url, data=data, auth=auth, timeout=5,
                             headers={"Content-Type": content_type, **headers})
    assert views == ["/token"], case
    if case == "bad utf-8":
        assert response.status_code in (400, 401) and response.headers["Content-Type"] == "application/json"
        return
    assert response.status_code == expected, (case, response.text)
    if expected != 200:
        assert response.json()["error"] and response.headers["Cache-Control"] == "no-store"


def test_a_refused_introspection_caller_is_answered_by_the_views(idp, views, service):
    response = post(idp, "/introspect", (service[0], "wrong"), {"token": "x"})
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"  # RFC 7662 2.1
    assert views == ["/introspect"]


def test_the_lane_counts_its_answers_in_the_request_metrics(idp, service):
    def count() -> float:
        labels = ('method="POST"', 'status="200"', 'endpoint="/token"')
        return sum(float(line.rsplit(" ", 1)[1]) for line in idp.scrape().splitlines()
                   if line.startswith("http_requests_total{") and all(label in line for label in labels))

    before = count()
    for _ in range(3):
        assert post(idp, "/token", service, {"grant_type": "client_credentials"}).status_code == 200
    assert count() >= before + 3
