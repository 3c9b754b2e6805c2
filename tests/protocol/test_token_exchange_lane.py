"""Token exchange (RFC 8693) in the pre-Flask lane (oauth/direct.py, issue 36): a plain exchange is
answered before Flask with what the view answers, success and refusal alike; an exchange that
repeats `audience` (RFC 8693 2.1) or carries a DPoP proof is left to the view."""

from __future__ import annotations

import requests

from ..test_direct_lane import lane_of, views  # noqa: F401  (the fixture that records what reaches Flask)
from .test_token_exchange import ACCESS, EXCHANGE, actor_token, app_token, auth, chain, delegated


def test_a_plain_exchange_never_reaches_flask_and_answers_as_the_view_rfc8693_2_2(idp, browser, views,  # noqa: F811
                                                                                  monkeypatch):
    ch = chain(idp)
    subject = app_token(idp, browser, ch)["access_token"]
    views.clear()
    lane = delegated(idp, ch, subject, scope="billing:read")
    assert lane.status_code == 200, lane.text
    assert "/token" not in views
    with monkeypatch.context() as patch:
        patch.setattr(lane_of(idp.app), "taken", lambda *args: None)
        view = delegated(idp, ch, subject, scope="billing:read")
    assert view.status_code == 200 and "/token" in views
    assert set(lane.json()) == set(view.json()) and lane.json()["scope"] == view.json()["scope"]
    assert {k.lower() for k in lane.headers} - {"date"} == {k.lower() for k in view.headers} - {"date"}

    views.clear()
    bad = delegated(idp, ch, subject + "x")
    with monkeypatch.context() as patch:
        patch.setattr(lane_of(idp.app), "taken", lambda *args: None)
        bad_view = delegated(idp, ch, subject + "x")
    assert bad.status_code == bad_view.status_code == 400 and bad.json() == bad_view.json()


def test_an_exchange_repeating_audience_goes_to_the_view_rfc8693_2_1(idp, browser, views):  # noqa: F811
    ch = chain(idp)
    subject = app_token(idp, browser, ch)["access_token"]
    actor = actor_token(idp, ch.a_rs)
    views.clear()
    data = [("grant_type", EXCHANGE), ("subject_token", subject), ("subject_token_type", ACCESS),
            ("actor_token", actor), ("actor_token_type", ACCESS), ("audience", ch.b), ("audience", ch.b)]
    response = requests.post(idp.endpoint("/token"), data=data, auth=auth(ch.a_rs), timeout=10)
    assert response.status_code == 200, response.text
    assert views == ["/token"]
