"""RFC 9700 4.14.2: once a refresh token's reuse is detected, its family is dead, whatever the
interleaving of the requests that raced on it.

The same refresh token is fired from 8 threads at once at the live server, in many trials, half
through the token endpoint's direct lane (idp/oauth/direct.py) and half through the Flask views.
Each trial then checks that no refresh token of the family refreshes, that userinfo refuses every
access token of the family, and that introspection says they are inactive."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from sqlalchemy import select

from idp.store.models import RefreshToken
from idp.tokens.service import RevokedGrant, new_grant_id

from ..test_code_flow import run_code_flow
from ..test_direct_lane import lane_of

TRIALS = 30
RACERS = 8


def race(url: str, auth: tuple, refresh_token: str, revokers: int = 0) -> list[requests.Response]:
    """RACERS requests released together (each on its own connection): refreshes with the same
    refresh token, the last `revokers` of them revocations of it (RFC 7009) instead."""
    barrier, answers = threading.Barrier(RACERS), [None] * RACERS

    def fire(index: int) -> None:
        revoke = index >= RACERS - revokers
        with requests.Session() as http:
            barrier.wait()
            answers[index] = http.post(
                url.removesuffix("/token") + "/revoke" if revoke else url, auth=auth, timeout=20,
                data={"token": refresh_token} if revoke else {"grant_type": "refresh_token",
                                                              "refresh_token": refresh_token})

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def assert_family_dead(idp, auth, refresh_tokens: list[str], access_tokens: list[str], trial: int) -> None:
    for refresh_token in refresh_tokens:
        again = requests.post(idp.endpoint("/token"), auth=auth, timeout=5,
                              data={"grant_type": "refresh_token", "refresh_token": refresh_token})
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant", (trial, again.text)
        introspected = requests.post(idp.endpoint("/introspect"), auth=auth, timeout=5,
                                     data={"token": refresh_token}).json()
        assert introspected == {"active": False}, (trial, introspected)
    for access_token in access_tokens:
        userinfo = requests.get(idp.endpoint("/userinfo"), timeout=5,
                                headers={"Authorization": f"Bearer {access_token}"})
        assert userinfo.status_code == 401, (trial, userinfo.status_code, userinfo.text)
        introspected = requests.post(idp.endpoint("/introspect"), auth=auth, timeout=5,
                                     data={"token": access_token}).json()
        assert introspected == {"active": False}, (trial, introspected)


def test_refresh_reuse_race_revokes_the_whole_family_rfc9700_4_14_2(idp, browser, client, user, monkeypatch):
    auth = (client.client_id, client.client_metadata["secret"])
    lane = lane_of(idp.app)
    started, detected = time.monotonic(), 0
    for trial in range(TRIALS):
        _, meta, token, _, _ = run_code_flow(idp, browser, client, user)
        with monkeypatch.context() as patch:
            if trial % 2:  # odd trials: the Flask views answer /token, not the direct lane
                patch.setattr(lane, "taken", lambda *args: None)
            answers = race(meta["token_endpoint"], auth, token["refresh_token"])
        won = [answer.json() for answer in answers if answer.status_code == 200]
        refused = [answer for answer in answers if answer.status_code != 200]
        assert len(won) <= 1, (trial, won)
        assert refused and all(a.status_code == 400 and a.json()["error"] == "invalid_grant" for a in refused), \
            (trial, [(a.status_code, a.text) for a in refused])
        detected += 1
        assert_family_dead(idp, auth, [token["refresh_token"]] + [w["refresh_token"] for w in won],
                           [token["access_token"]] + [w["access_token"] for w in won], trial)
    assert detected == TRIALS
    assert time.monotonic() - started < 60


def test_refresh_racing_its_revocation_leaves_nothing_usable_rfc7009_2_1(idp, browser, client, user):
    """A refresh racing the revocation of the same refresh token (RFC 7009 2.1: the whole grant goes):
    whichever comes first, the family is dead once the revocation answered."""
    auth = (client.client_id, client.client_metadata["secret"])
    for trial in range(10):
        _, meta, token, _, _ = run_code_flow(idp, browser, client, user)
        answers = race(meta["token_endpoint"], auth, token["refresh_token"], revokers=RACERS // 2)
        assert all(a.status_code == 200 for a in answers[RACERS // 2:]), trial  # RFC 7009 2.2
        won = [a.json() for a in answers[:RACERS // 2] if a.status_code == 200]
        assert len(won) <= 1, (trial, won)
        assert_family_dead(idp, auth, [token["refresh_token"]] + [w["refresh_token"] for w in won],
                           [token["access_token"]] + [w["access_token"] for w in won], trial)


# -- the two interleavings, step by step (TokenService) --------------------------------------------
def family_rows(idp, family_id: str) -> list[RefreshToken]:
    with idp.services.db.read() as session:
        return list(session.scalars(select(RefreshToken).where(RefreshToken.family_id == family_id)))


def first_refresh_token(idp, client, user) -> tuple[str, str]:
    family_id = new_grant_id()
    token = idp.services.tokens.bearer_response(client.client_id, user.id, "openid offline_access", user_id=user.id,
                                                grant_id=family_id, auth_time=int(time.time()),
                                                include_refresh_token=True)
    return family_id, token["refresh_token"]


def rotate(idp, client, user, family_id: str):
    return idp.services.tokens.bearer_response(client.client_id, user.id, "openid offline_access", user_id=user.id,
                                               grant_id=family_id, auth_time=int(time.time()),
                                               include_refresh_token=True)


def test_revocation_between_consuming_and_storing_the_successor_refuses_it_rfc9700_4_14_2(idp, client, user):
    """The loser revokes after the winner consumed the token but before it stored the successor:
    the winner reads the durable mark after storing it, revokes it and answers invalid_grant."""
    tokens = idp.services.tokens
    family_id, value = first_refresh_token(idp, client, user)
    assert tokens.consume_refresh(tokens.find_refresh(value))  # the winner
    assert not tokens.consume_refresh(tokens.find_refresh(value))  # a loser: reuse, the family revoked
    with pytest.raises(RevokedGrant):
        rotate(idp, client, user, family_id)  # the winner, storing its successor
    rows = family_rows(idp, family_id)
    assert len(rows) == 2 and all(row.revoked_at is not None for row in rows)


def test_revocation_after_the_successor_is_stored_revokes_it_rfc9700_4_14_2(idp, client, user):
    """The other order: the successor is stored before the loser's sweep, which revokes it too."""
    tokens = idp.services.tokens
    family_id, value = first_refresh_token(idp, client, user)
    assert tokens.consume_refresh(tokens.find_refresh(value))
    successor = rotate(idp, client, user, family_id)["refresh_token"]
    assert not tokens.consume_refresh(tokens.find_refresh(value))
    assert tokens.find_refresh(successor).revoked
    assert all(row.revoked_at is not None for row in family_rows(idp, family_id))


def test_password_reset_racing_a_rotation_revokes_its_successor(idp, client, user):
    """revoke_user_grants lists a family whose presented token is rotated but whose successor is not
    stored yet (a rotation under way), and marks it: the successor is refused."""
    tokens = idp.services.tokens
    family_id, value = first_refresh_token(idp, client, user)
    assert tokens.consume_refresh(tokens.find_refresh(value))
    assert tokens.revoke_user_grants(user.id) == 1
    with pytest.raises(RevokedGrant):
        rotate(idp, client, user, family_id)
    assert all(row.revoked_at is not None for row in family_rows(idp, family_id))
