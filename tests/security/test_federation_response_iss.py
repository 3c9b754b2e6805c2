"""Issue 30 part 10: the upstream's authorization response and RFC 9207 `iss` (mix-up defence,
RFC 9700 4.4.2.1). The iss must be exactly the provider's issuer; a response without one is
refused when the provider advertises authorization_response_iss_parameter_supported (discovery for
the OIDC kinds, configuration for GitHub's plain OAuth 2); accepted when it does not."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import pytest
from flask import Flask, jsonify

from idp.config import ConfigError, provider_config
from idp.federation import build_connectors
from idp.federation.base import UpstreamRejected

from ..conftest import PASSWORD, hidden_fields
from ..test_federation import (  # noqa: F401 (fixtures)
    OIDC_UPSTREAMS,
    click_provider,
    fed,
    finish,
    github,
    identities,
    new_email,
    proxy,
    reset_upstreams,
    rp_client,
    start,
    upstream,
)
from ..upstreams import ThreadServer

ISSUER = "https://login.example.test"


# -- end to end: the downstream IdP against the local OpenID Connect upstream -------------------
def to_callback(flow, fed, upstream, provider, email) -> str:  # noqa: F811
    """Sign in at the upstream and stop at the redirect to our callback: the URL the upstream built."""
    page = click_provider(flow, fed, provider)
    fields = hidden_fields(page.text)
    fields.update(email=email, password=PASSWORD)
    response = flow.agent.http.post(upstream.endpoint("/login"), data=fields, allow_redirects=False, timeout=10)
    callback = fed.endpoint(f"/federation/{provider}/callback")
    while response.is_redirect:
        url = urljoin(response.url, response.headers["Location"])
        if url.startswith(callback):
            return url
        response = flow.agent.http.get(url, allow_redirects=False, timeout=10)
    raise AssertionError(response.text[:500])


def with_iss(url: str, *values: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "iss"] + [("iss", v) for v in values]
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.mark.parametrize("provider", OIDC_UPSTREAMS)
def test_an_authorization_response_with_another_iss_or_none_is_refused_rfc9207_2_4(fed, upstream, rp_client,  # noqa: F811
                                                                                   provider):
    person = upstream.create_user(new_email())
    for tampered in (lambda url: with_iss(url, "https://evil.example"), lambda url: with_iss(url, upstream.url + "/"),
                     lambda url: with_iss(url, upstream.url.upper()), lambda url: with_iss(url),
                     lambda url: with_iss(url, upstream.url, upstream.url)):
        flow = start(fed, rp_client)
        url = to_callback(flow, fed, upstream, provider, person.email)
        assert dict(parse_qsl(urlsplit(url).query)).get("iss") == upstream.url  # the upstream sends it
        page = flow.agent.get(tampered(url))
        assert page.status_code == 400 and "could not be verified" in page.text, page.text[:500]
    assert fed.services.users.by_email(person.email) is None
    reasons = [e.details["reason"] for e in fed.services.audit_events.list(action="federation.refused")][:5]
    assert all("iss" in reason for reason in reasons), reasons


@pytest.mark.parametrize("provider", OIDC_UPSTREAMS)
def test_an_authorization_response_with_the_providers_iss_signs_in(fed, upstream, rp_client, provider):  # noqa: F811
    person = upstream.create_user(new_email())
    flow = start(fed, rp_client)
    url = to_callback(flow, fed, upstream, provider, person.email)
    claims = finish(flow, flow.agent.get(url))
    assert claims["idp"] == provider and identities(fed, claims["sub"]) == [(provider, person.id, claims["sub"])]


def test_an_error_response_with_another_iss_is_refused_as_a_mix_up(fed, upstream, rp_client):  # noqa: F811
    person = upstream.create_user(new_email())
    flow = start(fed, rp_client)
    url = to_callback(flow, fed, upstream, "corp", person.email)
    parts = urlsplit(url)
    state = dict(parse_qsl(parts.query))["state"]
    error = urlunsplit(parts._replace(query=urlencode({"error": "access_denied", "state": state,
                                                       "iss": "https://evil.example"})))
    page = flow.agent.get(error)
    assert page.status_code == 400 and "could not be verified" in page.text


# -- each connector kind, against discovery documents served on 127.0.0.1 ------------------------
@pytest.fixture(scope="module")
def discovery():
    """Two discovery documents: one advertising RFC 9207, one not (what many providers still serve)."""
    app = Flask("discovery")

    def document(advertised: bool):
        meta = {"issuer": ISSUER, "authorization_endpoint": ISSUER + "/authorize", "token_endpoint": ISSUER + "/token",
                "jwks_uri": ISSUER + "/jwks"}
        return jsonify({**meta, "authorization_response_iss_parameter_supported": True} if advertised else meta)

    app.add_url_rule("/advertised/.well-known/openid-configuration", "advertised", lambda: document(True))
    app.add_url_rule("/silent/.well-known/openid-configuration", "silent", lambda: document(False))
    server = ThreadServer(app)
    yield server.url
    server.stop()


def connector(kind: str, **values):
    config = provider_config({"name": kind if kind != "oidc" else "corp", "kind": kind, "client_id": "c",
                              "client_secret": "s", **values}, "https://idp.example")
    return next(iter(build_connectors((config,), 2.0).values()))


@pytest.mark.parametrize("kind", ["google", "linkedin", "oidc"])
def test_each_oidc_kind_checks_iss_as_its_discovery_says_rfc9207_2_4(discovery, kind):
    advertised = connector(kind, discovery_url=discovery + "/advertised/.well-known/openid-configuration")
    silent = connector(kind, discovery_url=discovery + "/silent/.well-known/openid-configuration")
    for each in (advertised, silent):
        each.check_response_issuer([ISSUER])  # correct: accepted
        for wrong in ("https://evil.example", ISSUER + "/", ISSUER.removeprefix("https://")):
            with pytest.raises(UpstreamRejected, match="iss"):
                each.check_response_issuer([wrong])
        with pytest.raises(UpstreamRejected, match="more than one"):
            each.check_response_issuer([ISSUER, ISSUER])
    with pytest.raises(UpstreamRejected, match="no iss"):
        advertised.check_response_issuer([])
    silent.check_response_issuer([])  # not advertised: a response without iss is accepted
    # configuration wins over discovery, either way
    forced = connector(kind, discovery_url=discovery + "/silent/.well-known/openid-configuration",
                       authorization_response_iss="true")
    with pytest.raises(UpstreamRejected, match="no iss"):
        forced.check_response_issuer([])
    connector(kind, discovery_url=discovery + "/advertised/.well-known/openid-configuration",
              authorization_response_iss=False).check_response_issuer([])


def test_github_checks_iss_only_where_configured_rfc9207_2_4():
    plain = connector("github")
    plain.check_response_issuer([])  # GitHub's OAuth 2 does not advertise RFC 9207
    configured = connector("github", issuer=ISSUER, authorization_response_iss="true")
    configured.check_response_issuer([ISSUER])
    with pytest.raises(UpstreamRejected, match="no iss"):
        configured.check_response_issuer([])
    with pytest.raises(UpstreamRejected, match="not the provider"):
        configured.check_response_issuer(["https://evil.example"])
    with pytest.raises(UpstreamRejected, match="not the provider"):
        connector("github", issuer=ISSUER).check_response_issuer(["https://evil.example"])


@pytest.mark.parametrize("values", [{"kind": "github", "authorization_response_iss": "true"},
                                    {"kind": "oidc", "issuer": ISSUER, "authorization_response_iss": "maybe"}])
def test_a_bad_response_iss_setting_is_refused(values):
    with pytest.raises(ConfigError, match="authorization_response_iss"):
        provider_config({"name": "x", "client_id": "c", **values}, "https://idp.example")
