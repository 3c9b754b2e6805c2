"""oauth/direct.py answers the code, refresh and client_credentials grants (RFC 6749 4.1.3, 6, 4.4)
and introspection (RFC 7662 2) before Flask, for plain requests: the same bodies and headers the
views give, refusals included; every other request (a repeated parameter, a DPoP proof, CORS, a
client assertion, the device grant) is left to the views, which answer it as before. The lane is
watched by recording what reaches the views."""

from __future__ import annotations

import re

import pytest
import requests

from idp.oauth.direct import DirectLane

from .conftest import REDIRECT_URI, free_port, start_idp
from .harness import RedisServer


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
        patch.setattr(lane_of(idp.app), "taken", lambda *args: None)
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


DEVICE = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.mark.parametrize("case", ["repeated", "query", "dpop", "origin", "device grant", "assertion", "latin-1",
                                  "bad utf-8", "no body"])
def test_what_is_not_plain_is_left_to_the_views(idp, views, service, case):
    """RFC 6749 3.2 (a repeated parameter is invalid_request), RFC 9449 (DPoP), RFC 7523
    (client assertions) and CORS keep the views' code path, and the views' answer."""
    url, data, headers, auth = idp.endpoint("/token"), "grant_type=client_credentials", {}, service
    content_type = "application/x-www-form-urlencoded"
    expected = 400
    if case == "repeated":
        data += "&grant_type=client_credentials"
    elif case == "query":
        url += "?x=1"
        expected = 200
    elif case == "dpop":
        headers["DPoP"] = "not.a.proof"
    elif case == "origin":
        headers["Origin"] = "https://spa.example"
        expected = 200
    elif case == "device grant":
        data = f"grant_type={DEVICE}&device_code=nothing"
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


@pytest.mark.parametrize("case", ["wrong secret", "unknown code", "unknown refresh token", "unknown scope",
                                  "introspection by a stranger"])
def test_refusals_rfc6749_5_2_are_answered_by_the_lane_as_the_views_answer_them(idp, views, service, monkeypatch, case):
    path, auth, data = "/token", service, {"grant_type": "client_credentials"}
    if case == "wrong secret":
        auth = (service[0], "wrong")
    elif case == "unknown code":
        data = {"grant_type": "authorization_code", "code": "nothing", "redirect_uri": "http://127.0.0.1/cb",
                "code_verifier": "v" * 43}
    elif case == "unknown refresh token":
        data = {"grant_type": "refresh_token", "refresh_token": "nothing"}
    elif case == "unknown scope":
        data["scope"] = "no-such-scope"
    else:
        path, auth, data = "/introspect", (service[0], "wrong"), {"token": "x"}
    answer = post(idp, path, auth, data)
    assert views == [] and answer.status_code in (400, 401), (case, answer.text)
    assert answer.json()["error"] and answer.headers["Cache-Control"] == "no-store"
    flask_answer = the_views_answer(idp, monkeypatch, path, auth, data)
    assert (flask_answer.status_code, flask_answer.json()) == (answer.status_code, answer.json())
    assert {k.lower() for k in flask_answer.headers} == {k.lower() for k in answer.headers}
    assert flask_answer.headers.get("WWW-Authenticate") == answer.headers.get("WWW-Authenticate")  # RFC 6749 5.2


def test_an_outage_during_a_redemption_is_the_views_503_and_the_code_is_not_taken_twice(tmp_path_factory):
    """A Redis outage while the lane redeems a code: the app's handlers answer 503 temporarily_unavailable
    (RFC 6749 5.2 has no outage error; the views' answer), once, without a second redemption."""
    redis_server = RedisServer(free_port()).start()
    live, stop = start_idp("postgres", tmp_path_factory, database_suffix="_lane",
                           redis_url=redis_server.url, redis_prefix="idplane:")
    try:
        client, secret = live.create_client(name="Lane RP")
        redis_server.stop()
        response = post(live, "/token", (client.client_id, secret),
                        {"grant_type": "authorization_code", "code": "c" * 43, "redirect_uri": REDIRECT_URI})
        assert response.status_code == 503, response.text
        assert response.json()["error"] == "temporarily_unavailable"
        assert response.headers["Retry-After"] == "5" and response.headers["Cache-Control"] == "no-store"
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        redis_server.start()  # back, empty: the code is simply unknown now, and nothing else happened
        again = post(live, "/token", (client.client_id, secret),
                     {"grant_type": "authorization_code", "code": "c" * 43, "redirect_uri": REDIRECT_URI})
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    finally:
        if redis_server.proc.poll() is not None:
            redis_server.start()  # back (empty) for the clean-up
        stop()
        redis_server.stop()


def test_the_lane_counts_its_answers_in_the_request_metrics(idp, service):
    def count() -> float:
        labels = ('method="POST"', 'status="200"', 'endpoint="/token"')
        return sum(float(line.rsplit(" ", 1)[1]) for line in idp.scrape().splitlines()
                   if line.startswith("http_requests_total{") and all(label in line for label in labels))

    before = count()
    for _ in range(3):
        assert post(idp, "/token", service, {"grant_type": "client_credentials"}).status_code == 200
    assert count() >= before + 3
