"""Sign in with an upstream provider (issue 5), end to end against real local upstreams:
a second instance of this IdP (as Google, LinkedIn and a generic OIDC issuer), a GitHub
stand-in speaking GitHub's OAuth and user API, and a token proxy that hands back bad ID tokens.

The relying party is authlib's OAuth2Session against the downstream IdP, as in test_code_flow.
"""

from __future__ import annotations

import dataclasses
import time
import types
import uuid
from urllib.parse import parse_qs, urljoin, urlsplit

import pyotp
import pytest
import requests
from authlib.common.security import generate_token
from sqlalchemy import select

from idp.config import Config, ConfigError, provider_config
from idp.i18n import CATALOGUES

FR = CATALOGUES["fr"]  # every area's catalogue, merged
from idp.store.migrate import upgrade
from idp.store.models import FederatedIdentity
from idp.web import account as account_page_module
from idp.web import federation as federation_page

from .conftest import (
    PASSWORD,
    REDIRECT_URI,
    REDIS_URL,
    RUN_ID,
    callback_params,
    free_port,
    hidden_fields,
    pg_database,
    start_idp,
)
from .test_code_flow import relying_party, validate_id_token
from .upstreams import GitHubStandIn, TokenProxy, UpstreamCookies

OIDC_UPSTREAMS = ("google", "linkedin", "corp")


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    live, stop = start_idp("embedded", tmp_path_factory)
    live.app.wsgi_app = UpstreamCookies(live.app.wsgi_app)
    yield live
    stop()


@pytest.fixture(scope="module")
def github():
    server = GitHubStandIn()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def proxy(upstream):
    server = TokenProxy(upstream)
    yield server
    server.stop()


@pytest.fixture(scope="module", params=["postgres", "embedded"])
def fed(request, tmp_path_factory, mailbox, upstream, github, proxy):
    """The downstream IdP, with every kind of provider configured against the local upstreams."""
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    discovery = upstream.url + "/.well-known/openid-configuration"

    def registered(name, **extra):
        client, secret = upstream.create_client(name=f"downstream via {name}", trusted=True, scope="openid profile email",
                                                redirect_uris=[f"{issuer}/federation/{name}/callback"], **extra)
        return {"name": name, "client_id": client.client_id, "client_secret": secret}

    github.redirect_uris.add(f"{issuer}/federation/github/callback")
    providers = tuple(provider_config(values, issuer) for values in [
        {**registered("google"), "kind": "google", "discovery_url": discovery},
        {**registered("linkedin", auth_method="client_secret_post"), "kind": "linkedin", "discovery_url": discovery,
         "token_auth_method": "client_secret_post"},
        {**registered("corp"), "kind": "oidc", "label": "Corp SSO", "issuer": upstream.url},
        {**registered("tampered"), "kind": "oidc", "label": "Tampered", "discovery_url": discovery,
         "token_url": proxy.url + "/token"},
        {"name": "down", "kind": "oidc", "label": "Down", "client_id": "x", "client_secret": "y",
         "discovery_url": f"http://127.0.0.1:{free_port()}/.well-known/openid-configuration"},
        {"name": "github", "kind": "github", "client_id": github.client_id, "client_secret": github.client_secret,
         "authorize_url": github.url + "/login/oauth/authorize", "token_url": github.url + "/login/oauth/access_token",
         "api_url": github.url},
    ])
    backend = {}
    if request.param == "postgres":  # its own database: the session's `idp` fixture may hold the run's default one
        database_url, drop = pg_database("_federation")
        upgrade(database_url)
        backend = dict(database_url=database_url, redis_url=REDIS_URL, redis_prefix=f"idptest:{RUN_ID}:federation:")
    live, stop = start_idp("embedded", tmp_path_factory, mailbox, port=port, issuer=issuer, providers=providers,
                           federation_timeout=2.0, **backend)
    assert live.backend == request.param
    yield live
    stop()
    if backend:
        live.services.store.flush_prefix()
        drop()


@pytest.fixture
def rp_client(fed):
    client, secret = fed.create_client(trusted=True, name="Federated RP")
    return dataclasses.replace(client, client_metadata={"secret": secret})


@pytest.fixture(autouse=True)
def reset_upstreams(github, proxy):
    github.deny = github.api_down = False
    proxy.mode = "pass"


class Agent:
    """A user agent across the downstream IdP and its upstreams; stops at the relying party."""

    def __init__(self):
        self.http = requests.Session()

    def follow(self, response):
        while response.is_redirect:
            url = urljoin(response.url, response.headers["Location"])
            if url.startswith(REDIRECT_URI):
                return response
            response = self.http.get(url, allow_redirects=False, timeout=10)
        return response

    def get(self, url):
        return self.follow(self.http.get(url, allow_redirects=False, timeout=10))

    def post(self, url, data):
        return self.follow(self.http.post(url, data=data, allow_redirects=False, timeout=10))


def start(fed, rp_client, agent=None):
    """The RP sends the person to the downstream login page."""
    agent = agent or Agent()
    rp, meta = relying_party(fed, rp_client, "openid email profile")
    verifier, nonce = generate_token(48), generate_token(16)
    url, state = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    page = agent.get(url)
    assert page.status_code == 200 and 'name="password"' in page.text, page.text[:300]
    return types.SimpleNamespace(agent=agent, rp=rp, meta=meta, verifier=verifier, nonce=nonce, state=state,
                                 page=page, client=rp_client)


def click_provider(flow, fed, name):
    assert f'action="/login/federated/{name}"' in flow.page.text
    return flow.agent.post(fed.endpoint(f"/login/federated/{name}"), hidden_fields(flow.page.text))


def upstream_login(flow, upstream, page, email):
    assert page.url.startswith(upstream.url) and 'name="password"' in page.text, (page.url, page.text[:300])
    fields = hidden_fields(page.text)
    fields.update(email=email, password=PASSWORD)
    return flow.agent.post(upstream.endpoint("/login"), fields)


def finish(flow, response):
    """The RP's side: the callback, the code exchange, the validated ID token's claims."""
    params = callback_params(response)
    assert params["state"] == flow.state
    token = flow.rp.fetch_token(flow.meta["token_endpoint"], code=params["code"], code_verifier=flow.verifier)
    return validate_id_token(flow.meta, token["id_token"], flow.client.client_id, flow.nonce).claims


def oidc_sign_in(fed, upstream, rp_client, provider, email, agent=None):
    flow = start(fed, rp_client, agent)
    return flow, upstream_login(flow, upstream, click_provider(flow, fed, provider), email)


def identities(fed, user_id=None):
    with fed.services.db.session() as session:
        query = select(FederatedIdentity)
        if user_id:
            query = query.where(FederatedIdentity.user_id == user_id)
        return [(r.provider, r.subject, r.user_id) for r in session.scalars(query).all()]


def new_email():
    return f"fed-{uuid.uuid4().hex[:10]}@example.com"


# -- first and later sign-ins -------------------------------------------------------
def test_first_sign_in_creates_the_user_and_the_next_reaches_the_same_sub(fed, upstream, rp_client):
    person = upstream.create_user(new_email(), name="Ada Upstream")
    flow, response = oidc_sign_in(fed, upstream, rp_client, "google", person.email)
    claims = finish(flow, response)
    assert claims["amr"] == ["fed"] and claims["idp"] == "google"
    local = fed.services.users.by_id(claims["sub"])
    assert local.email == person.email and local.email_verified and local.password_hash is None
    assert local.name == "Ada Upstream"
    assert identities(fed, local.id) == [("google", person.id, local.id)]

    again, response = oidc_sign_in(fed, upstream, rp_client, "google", person.email)  # a new browser
    assert finish(again, response)["sub"] == local.id
    assert len(identities(fed, local.id)) == 1


@pytest.mark.parametrize("provider", ["linkedin", "corp"])
def test_linkedin_and_a_generic_issuer_sign_in_the_same_way(fed, upstream, rp_client, provider):
    person = upstream.create_user(new_email())
    flow, response = oidc_sign_in(fed, upstream, rp_client, provider, person.email)
    claims = finish(flow, response)
    assert claims["amr"] == ["fed"] and claims["idp"] == provider
    assert identities(fed, claims["sub"]) == [(provider, person.id, claims["sub"])]


def test_github_sign_in_uses_the_user_api_and_the_primary_verified_email(fed, github, rp_client):
    email = new_email()
    github.sign_in_as(1000 + free_port(), email)
    flow = start(fed, rp_client)
    claims = finish(flow, click_provider(flow, fed, "github"))
    assert claims["amr"] == ["fed"] and claims["idp"] == "github"
    user = fed.services.users.by_id(claims["sub"])
    assert user.email == email and user.name == "Octo Cat"
    assert identities(fed, user.id) == [("github", str(github.account["id"]), user.id)]

    again = start(fed, rp_client)
    assert finish(again, click_provider(again, fed, "github"))["sub"] == user.id


# -- linking to an existing local account ---------------------------------------------
def test_a_verified_email_links_only_after_a_password_sign_in_to_that_account(fed, upstream, rp_client):
    email = new_email()
    local = fed.create_user(email)
    upstream.create_user(email)
    flow, page = oidc_sign_in(fed, upstream, rp_client, "corp", email)
    # Not signed in, not linked: the login page asks for the local account's password.
    assert page.status_code == 200 and page.url.startswith(fed.url + "/login")
    assert "link them" in page.text and f'value="{email}"' in page.text
    assert identities(fed, local.id) == []
    assert flow.agent.get(fed.endpoint("/account")).url.startswith(fed.url + "/login")

    fields = hidden_fields(page.text)
    fields.update(email=email, password="not the password")
    refused = flow.agent.post(fed.endpoint("/login"), fields)
    assert refused.status_code == 401 and identities(fed, local.id) == []

    fields.update(password=PASSWORD)
    claims = finish(flow, flow.agent.post(fed.endpoint("/login"), fields))
    assert claims["sub"] == local.id and claims["amr"] == ["pwd"] and "idp" not in claims
    assert [i[0] for i in identities(fed, local.id)] == ["corp"]

    # From now on the upstream account alone signs in to the same local account.
    again, response = oidc_sign_in(fed, upstream, rp_client, "corp", email)
    claims = finish(again, response)
    assert claims["sub"] == local.id and claims["amr"] == ["fed"] and claims["idp"] == "corp"


def test_signing_in_to_another_account_does_not_link(fed, upstream, rp_client):
    email, other = new_email(), fed.create_user(new_email())
    local = fed.create_user(email)
    upstream.create_user(email)
    flow, page = oidc_sign_in(fed, upstream, rp_client, "google", email)
    fields = hidden_fields(page.text)
    fields.update(email=other.email, password=PASSWORD)
    assert finish(flow, flow.agent.post(fed.endpoint("/login"), fields))["sub"] == other.id
    assert identities(fed, local.id) == [] and identities(fed, other.id) == []


def test_an_unverified_upstream_email_never_links_nor_creates(fed, github, rp_client):
    email = new_email()
    local = fed.create_user(email)
    github.sign_in_as(2000 + free_port(), email, verified=False)
    flow = start(fed, rp_client)
    page = click_provider(flow, fed, "github")
    assert page.status_code == 403 and "no verified email address" in page.text
    assert identities(fed, local.id) == []
    assert not any(i[1] == str(github.account["id"]) for i in identities(fed))

    stranger = new_email()  # no local account either: nothing is created
    github.sign_in_as(3000 + free_port(), stranger, verified=False)
    flow = start(fed, rp_client)
    assert click_provider(flow, fed, "github").status_code == 403
    assert fed.services.users.by_email(stranger) is None


# -- cancel, failures, forged or replayed answers -------------------------------------
def test_cancelling_at_the_provider_shows_a_clear_page(fed, github, rp_client):
    github.deny = True
    flow = start(fed, rp_client)
    page = click_provider(flow, fed, "github")
    assert page.status_code == 400 and "You cancelled signing in with GitHub." in page.text
    assert "access_denied" in page.text and "/login?interaction=" in page.text  # a way back to this sign-in


def test_upstream_down_shows_an_error_page_and_creates_nothing(fed, github, rp_client):
    flow = start(fed, rp_client)
    page = click_provider(flow, fed, "down")
    assert page.status_code == 502 and "Down is not responding right now" in page.text

    email = new_email()
    github.sign_in_as(4000 + free_port(), email)
    github.api_down = True
    flow = start(fed, rp_client)
    page = click_provider(flow, fed, "github")
    assert page.status_code == 502 and "GitHub is not responding right now" in page.text
    assert fed.services.users.by_email(email) is None
    assert not any(i[1] == str(github.account["id"]) for i in identities(fed))


def test_a_failing_token_endpoint_shows_an_error_page_and_creates_nothing(fed, upstream, proxy, rp_client):
    proxy.mode = "down"
    person = upstream.create_user(new_email())
    flow, page = oidc_sign_in(fed, upstream, rp_client, "tampered", person.email)
    assert page.status_code == 502 and "Tampered is not responding right now" in page.text
    assert fed.services.users.by_email(person.email) is None


@pytest.mark.parametrize("mode", ["wrong_aud", "bad_signature", "wrong_nonce", "expired"])
def test_a_bad_upstream_id_token_is_refused(fed, upstream, proxy, rp_client, mode):
    proxy.mode = mode
    person = upstream.create_user(new_email())
    flow, page = oidc_sign_in(fed, upstream, rp_client, "tampered", person.email)
    assert page.status_code == 400 and "could not be verified" in page.text, page.text[:500]
    assert fed.services.users.by_email(person.email) is None


def test_the_token_proxy_passes_good_tokens_through(fed, upstream, rp_client):
    person = upstream.create_user(new_email())
    flow, response = oidc_sign_in(fed, upstream, rp_client, "tampered", person.email)
    assert finish(flow, response)["idp"] == "tampered"


def test_a_replayed_or_foreign_state_is_refused(fed, github, rp_client):
    github.sign_in_as(5000 + free_port(), new_email())
    flow = start(fed, rp_client)
    answer = flow.agent.http.post(fed.endpoint("/login/federated/github"), data=hidden_fields(flow.page.text),
                                  allow_redirects=False, timeout=10)
    at_github = flow.agent.http.get(answer.headers["Location"], allow_redirects=False, timeout=10)
    callback = at_github.headers["Location"]
    assert urlsplit(callback).path == "/federation/github/callback"

    # Another browser (an attacker forwarding their callback) is refused: the state is not its own.
    assert Agent().get(callback).status_code == 400
    finish(flow, flow.agent.get(callback))
    replay = flow.agent.get(callback)  # the same browser again: the state was used once
    assert replay.status_code == 400 and "already used" in replay.text


# -- the login and account pages ------------------------------------------------------
def test_providers_appear_on_the_login_page_only_when_configured(fed, upstream):
    page = requests.get(fed.endpoint("/login"), timeout=5).text
    for label in ("Google", "LinkedIn", "GitHub", "Corp SSO"):
        assert f"Sign in with {label}" in page
    french = requests.get(fed.endpoint("/login"), headers={"Accept-Language": "fr"}, timeout=5).text
    assert "Se connecter avec GitHub" in french
    assert "Sign in with" not in requests.get(upstream.endpoint("/login"), timeout=5).text  # none configured
    assert requests.post(fed.endpoint("/login/federated/nope"), timeout=5).status_code in (400, 404)
    assert requests.post(fed.endpoint("/login/federated/github"), timeout=5).status_code == 400  # no CSRF token


def account_page(agent, fed):
    return agent.get(fed.endpoint("/account"))


def test_unlink_only_while_another_way_to_sign_in_remains(fed, upstream, github, rp_client):
    # A password account with a linked identity can unlink it.
    email = new_email()
    local = fed.create_user(email)
    upstream.create_user(email)
    flow, page = oidc_sign_in(fed, upstream, rp_client, "google", email)
    fields = hidden_fields(page.text)
    fields.update(email=email, password=PASSWORD)
    finish(flow, flow.agent.post(fed.endpoint("/login"), fields))
    page = account_page(flow.agent, fed)
    assert "Google" in page.text and "Unlink" in page.text
    done = flow.agent.post(fed.endpoint("/account/linked/remove"), hidden_fields(page.text))
    assert "no longer linked" in done.text and identities(fed, local.id) == []

    # A just-in-time account whose only way in is one identity cannot remove it.
    github.sign_in_as(6000 + free_port(), new_email())
    flow = start(fed, rp_client)
    user_id = finish(flow, click_provider(flow, fed, "github"))["sub"]
    page = account_page(flow.agent, fed)
    assert "Your only way to sign in" in page.text and ">Unlink<" not in page.text
    forged = {**hidden_fields(page.text), "provider": "github", "subject": str(github.account["id"])}
    refused = flow.agent.post(fed.endpoint("/account/linked/remove"), forged)
    assert "only way to sign in" in refused.text and len(identities(fed, user_id)) == 1

    # Without the CSRF token nothing happens.
    bare = flow.agent.http.post(fed.endpoint("/account/linked/remove"), data={"provider": "github"}, timeout=5)
    assert bare.status_code == 400 and len(identities(fed, user_id)) == 1


def test_a_signed_in_user_links_another_provider_from_the_account_page(fed, upstream, github, rp_client):
    github.sign_in_as(8000 + free_port(), new_email())
    flow = start(fed, rp_client)
    user_id = finish(flow, click_provider(flow, fed, "github"))["sub"]
    page = account_page(flow.agent, fed)
    assert 'aria-label="Link Google"' in page.text and 'aria-label="Link GitHub"' not in page.text

    person = upstream.create_user(new_email())  # another address: linking here is not by email
    fields = {**hidden_fields(page.text), "link": "1"}
    done = upstream_login(flow, upstream, flow.agent.post(fed.endpoint("/login/federated/google"), fields),
                          person.email)
    assert "now signs you in here too" in done.text
    assert sorted(i[0] for i in identities(fed, user_id)) == ["github", "google"]
    page = account_page(flow.agent, fed)
    assert page.text.count(">Unlink<") == 2  # two ways in: either may go

    again, response = oidc_sign_in(fed, upstream, rp_client, "google", person.email)
    assert finish(again, response)["sub"] == user_id

    # The same Google account cannot be linked to a second local account.
    other = Agent()
    github.sign_in_as(9000 + free_port(), new_email())
    third = start(fed, rp_client, other)
    finish(third, click_provider(third, fed, "github"))
    page = account_page(other, fed)
    refused = upstream_login(third, upstream, other.post(fed.endpoint("/login/federated/google"),
                                                         {**hidden_fields(page.text), "link": "1"}), person.email)
    assert refused.status_code == 409 and "already linked to another account" in refused.text


def test_a_pending_link_is_not_completed_by_another_upstream_sign_in(fed, upstream, github, rp_client):
    email = new_email()
    local = fed.create_user(email)
    fed.services.federated.link("github", str(11_000 + free_port()), local.id, email)
    github.sign_in_as(int(identities(fed, local.id)[0][1]), email)
    upstream.create_user(email)
    flow, page = oidc_sign_in(fed, upstream, rp_client, "google", email)
    assert "link them" in page.text
    # Signing in to that account through GitHub instead of its password does not link Google.
    claims = finish(flow, flow.agent.post(fed.endpoint("/login/federated/github"), hidden_fields(page.text)))
    assert claims["sub"] == local.id and claims["idp"] == "github"
    assert [i[0] for i in identities(fed, local.id)] == ["github"]


def test_linking_waits_for_the_second_factor_when_the_account_has_one(fed, upstream, rp_client):
    email = new_email()
    local = fed.create_user(email)
    secret = fed.services.mfa.new_secret()
    assert fed.services.mfa.enrol(local.id, secret, pyotp.TOTP(secret).now())
    upstream.create_user(email)
    flow, page = oidc_sign_in(fed, upstream, rp_client, "google", email)
    fields = hidden_fields(page.text)
    fields.update(email=email, password=PASSWORD)
    code_page = flow.agent.post(fed.endpoint("/login"), fields)
    assert 'name="code"' in code_page.text and identities(fed, local.id) == []
    fields = hidden_fields(code_page.text)
    fields.update(code=pyotp.TOTP(secret).at(time.time() + 30))
    claims = finish(flow, flow.agent.post(fed.endpoint("/login/mfa"), fields))
    assert claims["sub"] == local.id and claims["amr"] == ["pwd", "otp"]
    assert [i[0] for i in identities(fed, local.id)] == ["google"]


# -- configuration ------------------------------------------------------------------
def test_providers_are_read_from_the_environment():
    env = {"GOOGLE_CLIENT_ID": "g-id", "GOOGLE_CLIENT_SECRET": "g-secret",
           "GITHUB_CLIENT_ID": "gh-id", "GITHUB_CLIENT_SECRET": "gh-secret",
           "GITHUB_CALLBACK_URL": "https://id.example.com/federation/github/callback",
           "GITHUB_API_URL": "https://github.example.com/api/v3",
           "LINKEDIN_CLIENT_ID": "li-id", "LINKEDIN_CLIENT_SECRET": "li-secret",
           "OIDC_PROVIDERS": '[{"name": "acme", "label": "Acme SSO", "issuer": "https://sso.acme.test",'
                             ' "client_id": "a", "client_secret": "b"}]',
           "ISSUER": "https://id.example.com"}
    providers = {p.name: p for p in Config.from_env(env).providers}
    assert list(providers) == ["google", "linkedin", "github", "acme"]
    assert providers["google"].discovery_url == "https://accounts.google.com/.well-known/openid-configuration"
    assert providers["google"].callback_url == "https://id.example.com/federation/google/callback"
    assert providers["github"].api_url == "https://github.example.com/api/v3"
    assert providers["github"].authorize_url == "https://github.com/login/oauth/authorize"
    assert providers["linkedin"].token_auth_method == "client_secret_post"
    assert providers["acme"].discovery_url == "https://sso.acme.test/.well-known/openid-configuration"
    assert "g-secret" not in repr(providers["google"])
    assert Config.from_env({}).providers == ()


@pytest.mark.parametrize("value", ["not json", '{"name": "x"}', '[{"name": "acme", "issuer": "https://a.test"}]',
                                   '[{"name": "Bad Name", "client_id": "a", "issuer": "https://a.test"}]',
                                   '[{"name": "acme", "client_id": "a"}]',
                                   '[{"name": "acme", "client_id": "a", "issuer": "ftp://sso.acme.test"}]'])
def test_bad_generic_issuer_lists_are_refused(value):
    with pytest.raises(ConfigError, match="OIDC_PROVIDERS"):
        Config.from_env({"OIDC_PROVIDERS": value})


def test_production_wants_https_provider_endpoints():
    with pytest.raises(ConfigError, match="GITHUB_"):
        Config.from_env({"GITHUB_CLIENT_ID": "a", "GITHUB_API_URL": "ghe.example.com/api/v3"})
    production = dict(IDP_ENV="production", ISSUER="https://id.example.com", SESSION_SECRET="s" * 8 + "abcdefghij" * 3,
                      KEY_ENCRYPTION_KEY="k" * 8 + "abcdefghij" * 3, REDIS_URL="redis://r:6379/0",
                      DATABASE_URL="postgresql://db/idp", GITHUB_CLIENT_ID="a",
                      GITHUB_API_URL="http://ghe.example.com/api/v3")
    with pytest.raises(ConfigError, match="must be https in production"):
        Config.from_env(production)


def test_every_federation_message_has_a_french_translation():
    messages = [federation_page.CANCELLED, federation_page.FAILED, federation_page.UNREACHABLE,
                federation_page.REJECTED, federation_page.BAD_STATE, federation_page.NO_VERIFIED_EMAIL,
                federation_page.NO_ACCOUNT, federation_page.DISABLED, federation_page.LINK_NOTICE,
                federation_page.LINKED_ELSEWHERE, account_page_module.UNLINK_REFUSED]
    assert [m for m in messages if m not in FR] == []


# -- a real browser -------------------------------------------------------------------
def test_sign_in_with_github_in_a_real_browser(fed, github, rp_client, chromium, screenshot):
    """Chromium clicks "Sign in with GitHub" on the hosted login page and ends at the relying party."""
    email = new_email()
    github.sign_in_as(7000 + free_port(), email, name="Mona Lisa")
    rp, meta = relying_party(fed, rp_client, "openid email profile")
    verifier, nonce = generate_token(48), generate_token(16)
    url, state = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)

    context = chromium.new_context(locale="en-US")
    page = context.new_page()
    callbacks = []
    page.route(REDIRECT_URI + "*", lambda route: (callbacks.append(route.request.url),
                                                  route.fulfill(status=200, body="rp")))
    try:
        page.goto(url)
        assert page.title() == "Sign in"
        screenshot(page, f"login-with-providers-{fed.backend}")
        page.get_by_role("button", name="Sign in with GitHub").click()
        page.wait_for_url(REDIRECT_URI + "*", timeout=10_000)
        page.goto(fed.endpoint("/account"))
        page.get_by_role("heading", name="Linked accounts").wait_for()
        assert "Your only way to sign in" in page.content()
        screenshot(page, f"account-linked-{fed.backend}")
    finally:
        context.close()
    assert "/login/oauth/authorize" in github.requests and "/user/emails" in github.requests

    params = {k: v[0] for k, v in parse_qs(urlsplit(callbacks[-1]).query).items()}
    assert params["state"] == state
    token = rp.fetch_token(meta["token_endpoint"], code=params["code"], code_verifier=verifier)
    claims = validate_id_token(meta, token["id_token"], rp_client.client_id, nonce).claims
    assert claims["amr"] == ["fed"] and claims["idp"] == "github"
    assert rp.get(meta["userinfo_endpoint"]).json()["email"] == email


def test_without_registration_no_user_is_created_just_in_time(tmp_path_factory, github):
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    github.redirect_uris.add(f"{issuer}/federation/github/callback")
    providers = (provider_config({"name": "github", "kind": "github", "client_id": github.client_id,
                                  "client_secret": github.client_secret, "api_url": github.url,
                                  "authorize_url": github.url + "/login/oauth/authorize",
                                  "token_url": github.url + "/login/oauth/access_token"}, issuer),)
    live, stop = start_idp("embedded", tmp_path_factory, port=port, issuer=issuer, providers=providers,
                           allow_registration=False)
    try:
        email = new_email()
        github.sign_in_as(10_000 + free_port(), email)
        agent = Agent()
        page = agent.get(live.endpoint("/login"))
        answer = agent.post(live.endpoint("/login/federated/github"), hidden_fields(page.text))
        assert answer.status_code == 403 and "No account here matches your GitHub account." in answer.text
        assert live.services.users.by_email(email) is None
    finally:
        stop()
