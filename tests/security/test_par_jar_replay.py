"""Pushed and signed authorization requests cannot be burnt by another client or replayed:
RFC 9126 4 (a request_uri is the pushing client's: another client's attempt consumes nothing) and
RFC 9101 10.8 / RFC 9700 (a signed request object works once within its lifetime)."""

from __future__ import annotations

import dataclasses
import time
from urllib.parse import urlencode

import requests

from ..conftest import Browser
from ..test_code_flow import discover
from ..test_par_jar import authorization_params, finish, jar_client, push, rp_key, sign  # noqa: F401 (fixtures)


def test_request_uri_presented_by_another_client_is_not_consumed_rfc9126_4(idp, browser, client, user):
    other, _ = idp.create_client()
    rp, meta, params, verifier, nonce = authorization_params(idp, client)
    request_uri = push(idp, client, params).json()["request_uri"]
    stolen = Browser(idp).go(meta["authorization_endpoint"] + "?" + urlencode(
        {"client_id": other.client_id, "request_uri": request_uri}))
    assert stolen.status_code == 400 and "Location" not in stolen.headers
    assert "invalid_request_uri" in stolen.text
    no_client = Browser(idp).go(meta["authorization_endpoint"] + "?" + urlencode({"request_uri": request_uri}))
    assert no_client.status_code == 400 and "Location" not in no_client.headers
    # The pushing client still completes its flow with the same request_uri.
    url = meta["authorization_endpoint"] + "?" + urlencode({"client_id": client.client_id, "request_uri": request_uri})
    assert finish(idp, browser, user, rp, meta, url, verifier, nonce, client)["state"] == params["state"]


# -- signed request objects (RFC 9101) ----------------------------------------------------------
def authorize_with(idp, client, request_object) -> requests.Response:
    return Browser(idp).go(idp.endpoint("/authorize") + "?" + urlencode(
        {"client_id": client.client_id, "request": request_object}))


def accepted(response) -> bool:
    """The request object was taken: the user is sent on to sign in (no error page)."""
    return response.status_code == 200 and 'name="password"' in response.text


def refused(response, error="invalid_request_object") -> bool:
    return response.status_code == 400 and "Location" not in response.headers and error in response.text


def test_signed_request_object_without_exp_or_jti_works_once_rfc9101_10_8(idp, jar_client, rp_key):
    _, _, params, _, _ = authorization_params(idp, jar_client)
    request_object = sign(rp_key, {**params, "iss": jar_client.client_id, "aud": idp.url})  # no exp, no jti
    assert accepted(authorize_with(idp, jar_client, request_object))
    assert refused(authorize_with(idp, jar_client, request_object))


def test_request_object_jti_is_refused_again_within_its_lifetime_rfc9101_10_8(idp, jar_client, rp_key):
    _, _, params, _, _ = authorization_params(idp, jar_client)
    claims = {**params, "iss": jar_client.client_id, "aud": idp.url, "exp": int(time.time()) + 300}
    first = sign(rp_key, {**claims, "jti": "same-jti"})
    assert accepted(authorize_with(idp, jar_client, first))
    again = sign(rp_key, {**claims, "jti": "same-jti", "state": "another"})  # another object, same jti
    assert refused(authorize_with(idp, jar_client, again))
    other = sign(rp_key, {**claims, "jti": "another-jti"})
    assert accepted(authorize_with(idp, jar_client, other))
    # Pushed (RFC 9126 3): the same object cannot be pushed twice either.
    pushed = sign(rp_key, {**claims, "jti": "pushed-jti"})
    assert push(idp, jar_client, {"client_id": jar_client.client_id, "request": pushed}).status_code == 201
    twice = push(idp, jar_client, {"client_id": jar_client.client_id, "request": pushed})
    assert twice.status_code == 400 and twice.json()["error"] == "invalid_request_object"


def test_request_object_living_more_than_an_hour_is_refused(idp, jar_client, rp_key):
    _, _, params, _, _ = authorization_params(idp, jar_client)
    claims = {**params, "iss": jar_client.client_id, "aud": idp.url}
    assert refused(authorize_with(idp, jar_client, sign(rp_key, {**claims, "exp": int(time.time()) + 2 * 3600})))
    stale = sign(rp_key, {**claims, "iat": int(time.time()) - 2 * 3600})  # no exp: an hour from iat
    assert refused(authorize_with(idp, jar_client, stale))


def test_client_requiring_signed_request_objects_needs_one_with_exp_and_aud_rfc9101_10_5(idp, browser, user, rp_key):
    client, secret = idp.create_client(metadata={"jwks": {"keys": [rp_key.as_dict(private=False)]},
                                                 "require_signed_request_object": True})
    client = dataclasses.replace(client, client_metadata={**client.client_metadata, "secret": secret})
    rp, meta, params, verifier, nonce = authorization_params(idp, client)
    plain = Browser(idp).go(meta["authorization_endpoint"] + "?" + urlencode(params))
    assert refused(plain, "invalid_request")
    not_pushed = push(idp, client, params)
    assert not_pushed.status_code == 400 and not_pushed.json()["error"] == "invalid_request"
    claims = {**params, "iss": client.client_id}
    exp = int(time.time()) + 300
    assert refused(authorize_with(idp, client, sign(rp_key, {**claims, "aud": idp.url})))  # no exp
    assert refused(authorize_with(idp, client, sign(rp_key, {**claims, "exp": exp})))  # no aud
    url = meta["authorization_endpoint"] + "?" + urlencode({
        "client_id": client.client_id, "request": sign(rp_key, {**claims, "aud": idp.url, "exp": exp})})
    assert finish(idp, browser, user, rp, meta, url, verifier, nonce, client)["state"] == params["state"]


def test_deployment_requiring_signed_request_objects_refuses_plain_requests_rfc9101_10_5(idp, client, monkeypatch):
    monkeypatch.setattr(idp.services, "config", dataclasses.replace(idp.services.config,
                                                                    require_signed_request_object=True))
    assert discover(idp)["require_signed_request_object"] is True
    _, meta, params, _, _ = authorization_params(idp, client)
    assert refused(Browser(idp).go(meta["authorization_endpoint"] + "?" + urlencode(params)), "invalid_request")
    not_pushed = push(idp, client, params)
    assert not_pushed.status_code == 400 and not_pushed.json()["error"] == "invalid_request"


def test_require_signed_request_object_is_a_boolean_at_registration_and_admin_api_rfc9101_10_5(idp):
    """The metadata goes through the one client policy every entry shares (idp/administration/
    client_policy.py): dynamic registration (RFC 7591) and the admin API shown here."""
    from ..admin_api import admin_session
    from ..test_registration import WEB_APP, register

    token = idp.services.initial_access_tokens.create(600, uses=2)
    bad = register(idp, {**WEB_APP, "require_signed_request_object": "yes"}, token)
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_client_metadata", bad.text
    good = register(idp, {**WEB_APP, "require_signed_request_object": True}, token)
    assert good.status_code == 201 and good.json()["require_signed_request_object"] is True, good.text
    admin = admin_session(idp)
    refused_by_api = admin.post("/clients", json={"client_name": "RP", "redirect_uris": WEB_APP["redirect_uris"],
                                                   "require_signed_request_object": 1})
    assert refused_by_api.status_code == 400, refused_by_api.text
    made = admin.post("/clients", json={"client_name": "RP", "redirect_uris": WEB_APP["redirect_uris"],
                                        "require_signed_request_object": True})
    assert made.status_code == 201 and made.json()["require_signed_request_object"] is True, made.text
