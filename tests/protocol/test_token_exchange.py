"""Token exchange (RFC 8693) end to end on both backends: a user signs in to a web app, the app calls
API A, A exchanges the user's token (with its own actor token) for a token for API B, and B,
validating by JWKS with its aud, sees the user, the narrowed scope, its own roles and the chain."""

from __future__ import annotations

import dataclasses
import time

import pytest
import requests
from joserfc.errors import InvalidClaimError

from idp.administration import Actor
from idp.administration.users import UserAdmin

from ..apis_helpers import code_flow, introspect, token_request, uid, verify_locally
from ..test_dpop import proof

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS = "urn:ietf:params:oauth:token-type:access_token"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
REFRESH = "urn:ietf:params:oauth:token-type:refresh_token"
JWT = "urn:ietf:params:oauth:token-type:jwt"
APP_SCOPE = "openid offline_access orders:read"


@dataclasses.dataclass
class Chain:
    a: str  # API identifiers
    b: str
    c: str
    app: tuple  # (client, secret) of the web app
    a_rs: tuple  # the resource server of each API, allowed to exchange
    b_rs: tuple
    c_rs: tuple
    user: object


def chain(idp, a_ttl=None, **a_metadata) -> Chain:
    """Web app -> API A (orders) -> API B (billing) -> API C (ledger). The user holds billing-viewer
    (billing:read) on B and ledger-reader on C; billing:pay needs a role the user lacks."""
    registry = idp.services.apis
    servers = []
    for name, metadata in (("A", a_metadata), ("B", {}), ("C", {})):
        servers.append(idp.create_client(name=f"API {name} server", redirect_uris=[], scope="",
                                         grant_types=["client_credentials", EXCHANGE, "refresh_token"],
                                         metadata=metadata or None))
    a, b, c = (f"https://{n}-{uid()}.example.com/" for n in ("orders", "billing", "ledger"))
    registry.create_api(a, "Orders", {"orders:read": "Read orders"}, access_token_ttl=a_ttl,
                        resource_server=servers[0][0].client_id)
    registry.create_api(b, "Billing", {"billing:read": "See invoices", "billing:pay": "Pay"},
                        role_scopes=["billing:read", "billing:pay"], resource_server=servers[1][0].client_id)
    registry.create_api(c, "Ledger", {"ledger:read": "Read the ledger"}, resource_server=servers[2][0].client_id)
    app = idp.create_client(name="Web app", scope=APP_SCOPE, trusted=True)
    registry.allow(a, app[0].client_id)
    registry.allow(b, servers[0][0].client_id)  # A may ask tokens for B, B for C
    registry.allow(c, servers[1][0].client_id)
    user = idp.create_user()
    registry.create_role(b, "billing-viewer", ["billing:read"])
    registry.create_role(b, "billing-payer", ["billing:pay"])
    registry.create_role(c, "ledger-reader", ["ledger:read"])
    registry.assign(b, "billing-viewer", user_id=user.id)
    registry.assign(c, "ledger-reader", user_id=user.id)
    return Chain(a, b, c, app, *servers, user)


def auth(pair) -> tuple:
    return pair[0].client_id, pair[1]


def actor_token(idp, server) -> str:
    response = token_request(idp, auth(server), grant_type="client_credentials")
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def exchange(idp, server, subject_token, subject_type=ACCESS, actor=None, resources=(), headers=None,
             **extra) -> requests.Response:
    data = [("grant_type", EXCHANGE), ("subject_token", subject_token), ("subject_token_type", subject_type),
            *[("resource", r) for r in resources], *extra.items()]
    if actor:
        data += [("actor_token", actor), ("actor_token_type", ACCESS)]
    return requests.post(idp.endpoint("/token"), data=data, auth=auth(server), headers=headers or {}, timeout=10)


def app_token(idp, browser, ch: Chain) -> dict:
    return code_flow(idp, browser, *ch.app, ch.user, scope=APP_SCOPE, resources=[ch.a])


def delegated(idp, ch: Chain, subject: str, server=None, target=None, subject_type=ACCESS,
              **extra) -> requests.Response:
    server = server or ch.a_rs
    return exchange(idp, server, subject, subject_type, actor=actor_token(idp, server), resources=[target or ch.b],
                    **extra)


def refused(response: requests.Response, error: str) -> dict:
    assert response.status_code in (400, 401), response.text
    body = response.json()
    assert body["error"] == error, body
    assert response.headers["Cache-Control"] == "no-store"
    return body


# -- the chain ---------------------------------------------------------------------------------------
def test_a_exchanges_the_users_token_for_api_b_with_act_rfc8693_2_1_2_2_1_4_1(idp, browser):
    ch = chain(idp)
    subject = app_token(idp, browser, ch)
    response = delegated(idp, ch, subject["access_token"], scope="billing:read billing:pay orders:read")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["issued_token_type"] == ACCESS and body["token_type"] == "Bearer"  # RFC 8693 2.2.1
    assert body["scope"] == "billing:read"  # billing:pay needs a role; orders:read is not B's
    assert "refresh_token" not in body and 0 < body["expires_in"] <= subject["expires_in"]
    claims = verify_locally(idp, body["access_token"], ch.b)  # B: JWKS signature, typ at+jwt, its own aud
    assert claims["sub"] == ch.user.id and claims["aud"] == ch.b
    assert claims["act"] == {"sub": ch.a_rs[0].client_id}  # RFC 8693 4.1
    assert claims["client_id"] == ch.a_rs[0].client_id and claims["roles"] == ["billing-viewer"]
    with pytest.raises(InvalidClaimError):
        verify_locally(idp, body["access_token"], ch.a)
    seen = introspect(idp, auth(ch.b_rs), body["access_token"])
    assert seen["active"] and seen["act"] == {"sub": ch.a_rs[0].client_id} and seen["scope"] == "billing:read"


def test_jwt_token_type_is_read_by_the_jwts_typ_rfc8693_3(idp, browser):
    """Clients that name the format (…:token-type:jwt) rather than the kind work unchanged."""
    ch = chain(idp)
    tokens = app_token(idp, browser, ch)
    for subject in (tokens["access_token"], tokens["id_token"]):
        response = delegated(idp, ch, subject, subject_type=JWT, requested_token_type=JWT)
        assert response.status_code == 200, response.text
        assert response.json()["issued_token_type"] == JWT
        assert verify_locally(idp, response.json()["access_token"], ch.b)["sub"] == ch.user.id


def test_two_hop_chain_nests_act_rfc8693_4_1(idp, browser):
    ch = chain(idp)
    first = delegated(idp, ch, app_token(idp, browser, ch)["access_token"])
    assert first.status_code == 200, first.text
    second = delegated(idp, ch, first.json()["access_token"], server=ch.b_rs, target=ch.c)
    assert second.status_code == 200, second.text
    claims = verify_locally(idp, second.json()["access_token"], ch.c)
    assert claims["sub"] == ch.user.id and claims["scope"] == "ledger:read" and claims["roles"] == ["ledger-reader"]
    assert claims["act"] == {"sub": ch.b_rs[0].client_id, "act": {"sub": ch.a_rs[0].client_id}}


def test_audience_parameter_names_the_api_like_resource_and_may_repeat_rfc8693_2_1(idp, browser):
    ch = chain(idp)
    subject = app_token(idp, browser, ch)["access_token"]
    response = exchange(idp, ch.a_rs, subject, actor=actor_token(idp, ch.a_rs), audience=ch.b)
    assert response.status_code == 200, response.text
    assert verify_locally(idp, response.json()["access_token"], ch.b)["aud"] == ch.b
    body = [("grant_type", EXCHANGE), ("subject_token", subject), ("subject_token_type", ACCESS),
            ("actor_token", actor_token(idp, ch.a_rs)), ("actor_token_type", ACCESS),
            ("audience", ch.b), ("audience", ch.b)]
    repeated = requests.post(idp.endpoint("/token"), data=body, auth=auth(ch.a_rs), timeout=10)
    assert repeated.status_code == 200, repeated.text
    body.append(("subject_token_type", ACCESS))  # other parameters still once only (RFC 6749 3.2)
    refused(requests.post(idp.endpoint("/token"), data=body, auth=auth(ch.a_rs), timeout=10), "invalid_request")


def test_exchanged_token_never_outlives_the_subject_token_rfc8693_2_2_1(idp, browser):
    ch = chain(idp, a_ttl=60)  # the app's token for A lives 60 s; B's tokens would live the default
    subject = app_token(idp, browser, ch)
    body = delegated(idp, ch, subject["access_token"]).json()
    claims = verify_locally(idp, body["access_token"], ch.b)
    assert body["expires_in"] <= 60 and claims["exp"] <= int(time.time()) + 60


def test_dpop_proof_binds_the_exchanged_token_rfc8693_2_2_1_rfc9449_5(idp, browser):
    ch = chain(idp)
    subject = app_token(idp, browser, ch)["access_token"]
    response = delegated(idp, ch, subject, headers={"DPoP": proof(idp)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "DPoP" and verify_locally(idp, body["access_token"], ch.b)["cnf"]["jkt"]


def test_id_token_of_a_front_end_the_back_end_serves_while_its_session_lives_rfc8693_3(idp, browser):
    ch = chain(idp)
    id_token = app_token(idp, browser, ch)["id_token"]  # the app is allowed API A, which A's server serves
    response = delegated(idp, ch, id_token, subject_type=ID_TOKEN)
    assert response.status_code == 200, response.text
    claims = verify_locally(idp, response.json()["access_token"], ch.b)
    assert claims["sub"] == ch.user.id and claims["scope"] == "billing:read"  # held by role only
    # C's server serves nothing the app is allowed: it may not act for the app
    refused(delegated(idp, ch, id_token, server=ch.c_rs, target=ch.c, subject_type=ID_TOKEN),
            "invalid_request")
    with idp.app.app_context():  # the sign-in session ended (as an administrator does): no more exchanges
        idp.services.sessions.end_all(ch.user.id)
    refused(delegated(idp, ch, id_token, subject_type=ID_TOKEN), "invalid_request")


def test_impersonation_only_where_the_operator_enabled_it_rfc8693_1_1(idp, browser):
    ch = chain(idp, token_exchange_impersonation=True, token_exchange_refresh_tokens=True)
    subject = app_token(idp, browser, ch)["access_token"]
    response = exchange(idp, ch.a_rs, subject, resources=[ch.b], scope="billing:read")
    assert response.status_code == 200, response.text
    assert "act" not in verify_locally(idp, response.json()["access_token"], ch.b)
    assert "refresh_token" not in response.json()  # offline_access is not B's and not granted here
    body = refused(exchange(idp, ch.b_rs, subject, resources=[ch.c]), "invalid_request")  # B: not enabled
    assert "impersonate" in body["error_description"]


def test_refresh_token_only_when_allowed_and_offline_access_granted_rfc8693_2_2_1(idp, browser):
    ch = chain(idp, token_exchange_impersonation=True, token_exchange_refresh_tokens=True)
    idp.services.clients.update(ch.a_rs[0].client_id, scope="offline_access")
    subject = app_token(idp, browser, ch)["access_token"]
    allowed = exchange(idp, ch.a_rs, subject, resources=[ch.b], scope="billing:read offline_access")
    assert allowed.status_code == 200 and allowed.json()["refresh_token"], allowed.text
    delegating = delegated(idp, ch, subject, scope="billing:read offline_access")  # an act chain: none
    assert delegating.status_code == 200 and "refresh_token" not in delegating.json()


# -- revocation --------------------------------------------------------------------------------------
def test_revoking_the_users_grant_deactivates_exchanged_tokens_rfc7009_2_rfc8693_2_2_1(idp, browser):
    ch = chain(idp)
    subject = app_token(idp, browser, ch)
    exchanged = delegated(idp, ch, subject["access_token"]).json()["access_token"]
    assert introspect(idp, auth(ch.b_rs), exchanged)["active"]
    revoked = requests.post(idp.endpoint("/revoke"), data={"token": subject["refresh_token"]}, auth=auth(ch.app),
                            timeout=10)
    assert revoked.status_code == 200
    assert introspect(idp, auth(ch.b_rs), exchanged) == {"active": False}
    refused(delegated(idp, ch, subject["access_token"]), "invalid_request")  # revoked subject (RFC 8693 2.2.2)


def test_disabling_the_user_deactivates_exchanged_tokens_rfc8693_2_2_2(idp, browser):
    ch = chain(idp)
    subject = app_token(idp, browser, ch)["access_token"]
    exchanged = delegated(idp, ch, subject).json()["access_token"]
    with idp.app.app_context():  # as the admin API and console do: sessions ended, grants revoked
        UserAdmin(idp.services).set_disabled(Actor.operator(), ch.user.id, True)
    assert introspect(idp, auth(ch.b_rs), exchanged) == {"active": False}
    refused(delegated(idp, ch, subject), "invalid_request")


# -- refusals (RFC 8693 2.2.2) -----------------------------------------------------------------------
def test_client_without_the_grant_type_is_unauthorized_client_rfc8693_2_2_2(idp, browser):
    ch = chain(idp)
    other, secret = idp.create_client(name="No exchange", redirect_uris=[], grant_types=["client_credentials"],
                                      scope="")
    refused(exchange(idp, (other, secret), "x.y.z", resources=[ch.b]), "unauthorized_client")
    refused(exchange(idp, ch.app, "x.y.z", resources=[ch.b]), "unauthorized_client")


@pytest.mark.parametrize("case", ["missing_subject", "actor_without_type", "requested_id_token", "refresh_as_subject",
                                  "refresh_typed_as_access", "garbage", "expired", "unknown_type", "foreign_actor",
                                  "user_token_as_actor"])
def test_bad_subject_or_actor_token_is_invalid_request_rfc8693_2_2_2(idp, browser, case):
    ch = chain(idp)
    subject = app_token(idp, browser, ch)
    actor = actor_token(idp, ch.a_rs)
    data = {"grant_type": EXCHANGE, "subject_token": subject["access_token"], "subject_token_type": ACCESS,
            "actor_token": actor, "actor_token_type": ACCESS, "resource": ch.b}
    if case == "missing_subject":
        del data["subject_token"]
    elif case == "actor_without_type":
        del data["actor_token_type"]
    elif case == "requested_id_token":
        data["requested_token_type"] = ID_TOKEN
    elif case == "refresh_as_subject":
        data.update(subject_token=subject["refresh_token"], subject_token_type=REFRESH)
    elif case == "refresh_typed_as_access":
        data["subject_token"] = subject["refresh_token"]
    elif case == "garbage":
        data["subject_token"] = "eyJhbGciOiJub25lIn0.e30."
    elif case == "expired":  # signed as this IdP signs, but past its exp
        claims = verify_locally(idp, subject["access_token"], ch.a)
        data["subject_token"] = idp.services.keys.sign({**claims, "exp": int(time.time()) - 1}, typ="at+jwt")
    elif case == "unknown_type":
        data["subject_token_type"] = "urn:ietf:params:oauth:token-type:saml2"
    elif case == "foreign_actor":
        data["actor_token"] = actor_token(idp, ch.b_rs)  # B's token, presented by A
    elif case == "user_token_as_actor":
        data["actor_token"] = subject["access_token"]
    refused(requests.post(idp.endpoint("/token"), data=data, auth=auth(ch.a_rs), timeout=10), "invalid_request")


def test_subject_token_for_an_api_the_requester_does_not_serve_is_invalid_request_rfc8693_2_2_2(idp, browser):
    ch = chain(idp)
    subject = app_token(idp, browser, ch)["access_token"]  # aud A: C's server neither got it nor serves A
    refused(delegated(idp, ch, subject, server=ch.c_rs, target=ch.c), "invalid_request")


def test_may_act_limits_who_acts_rfc8693_4_4(idp, browser):
    ch = chain(idp)
    claims = verify_locally(idp, app_token(idp, browser, ch)["access_token"], ch.a)
    for may, status in ((ch.b_rs[0].client_id, 400), (ch.a_rs[0].client_id, 200)):
        token = idp.services.keys.sign({**claims, "may_act": {"sub": may}}, typ="at+jwt")  # as this IdP would
        response = delegated(idp, ch, token)
        assert response.status_code == status, response.text


@pytest.mark.parametrize("target", ["https://unknown.example.com/", "not a uri", "allowed-to-nobody", None])
def test_target_not_a_registered_api_allowed_to_the_client_is_invalid_target_rfc8693_2_2_2(idp, browser, target):
    ch = chain(idp)
    subject = app_token(idp, browser, ch)["access_token"]
    if target == "allowed-to-nobody":
        target = ch.c  # registered, but A's server is not allowed it
    resources = [target] if target else []
    refused(exchange(idp, ch.a_rs, subject, actor=actor_token(idp, ch.a_rs), resources=resources), "invalid_target")


def test_dpop_only_target_api_needs_a_proof_rfc9449_5(idp, browser):
    ch = chain(idp)
    only_dpop = f"https://dpop-{uid()}.example.com/"
    idp.services.apis.create_api(only_dpop, "DPoP only", {"secure:read": "Read"}, dpop_only=True)
    idp.services.apis.allow(only_dpop, ch.a_rs[0].client_id)
    subject = app_token(idp, browser, ch)["access_token"]
    refused(delegated(idp, ch, subject, target=only_dpop), "invalid_dpop_proof")
    bound = delegated(idp, ch, subject, target=only_dpop, headers={"DPoP": proof(idp)})
    assert bound.status_code == 200 and bound.json()["token_type"] == "DPoP", bound.text


def test_scope_the_user_never_granted_is_invalid_scope_rfc8693_2_1_rfc6749_5_2(idp, browser):
    ch = chain(idp)
    subject = app_token(idp, browser, ch)["access_token"]
    refused(delegated(idp, ch, subject, scope="billing:pay"), "invalid_scope")  # no role grants it


# -- discovery, registration, operators --------------------------------------------------------------
def test_discovery_advertises_the_grant_rfc8414_2(idp):
    metadata = requests.get(idp.endpoint("/.well-known/openid-configuration"), timeout=5).json()
    assert EXCHANGE in metadata["grant_types_supported"]


def test_audit_event_and_metric_per_exchange_and_refusal(idp, browser):
    ch = chain(idp)
    subject = app_token(idp, browser, ch)["access_token"]
    assert delegated(idp, ch, subject).status_code == 200
    event = idp.services.audit_events.list(user_id=ch.user.id, action="token.exchanged")[0]
    assert event.client_id == ch.a_rs[0].client_id and event.details["acting"] == [ch.a_rs[0].client_id]
    assert event.details["audience"] == [ch.b] and event.details["subject_client"] == ch.app[0].client_id
    refused(delegated(idp, ch, subject, scope="billing:pay"), "invalid_scope")
    refusal = idp.services.audit_events.list(client_id=ch.a_rs[0].client_id, action="token.exchange_refused")[0]
    assert refusal.details["error"] == "invalid_scope" and refusal.details["reason"]
    metrics = idp.scrape()
    assert 'token_exchanges_total{kind="delegation",outcome="issued"}' in metrics
    assert 'token_exchanges_total{kind="delegation",outcome="invalid_scope"}' in metrics
