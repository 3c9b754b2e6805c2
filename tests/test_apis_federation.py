"""Upstream groups mapped to local groups per provider (issue 21): an OpenID provider's `groups`
claim and GitHub organisations/teams; memberships of the mapped groups follow the upstream at each
sign-in, other local groups are left alone."""

from __future__ import annotations

import pytest

from idp.config import ConfigError, provider_config

from idp.store.migrate import upgrade

from .conftest import REDIS_URL, RUN_ID, free_port, pg_database, start_idp
from .test_federation import click_provider, finish, github, new_email, start, upstream, upstream_login  # noqa: F401


@pytest.fixture(scope="module", params=["postgres", "embedded"])
def fed(request, tmp_path_factory, mailbox, upstream, github):
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    client, secret = upstream.create_client(name="downstream", trusted=True, scope="openid profile email groups",
                                            redirect_uris=[f"{issuer}/federation/corp/callback"])
    github.redirect_uris.add(f"{issuer}/federation/github/callback")
    providers = (
        provider_config({"name": "corp", "kind": "oidc", "issuer": upstream.url, "client_id": client.client_id,
                         "client_secret": secret, "scope": "openid email profile groups",
                         "group_map": {"eng": "engineering", "ops": "operations"}}, issuer),
        provider_config({"name": "github", "kind": "github", "client_id": github.client_id,
                         "client_secret": github.client_secret, "authorize_url": github.url + "/login/oauth/authorize",
                         "token_url": github.url + "/login/oauth/access_token", "api_url": github.url,
                         "group_map": '{"acme": "acme-staff", "acme/sre": "sre"}'}, issuer),
    )
    backend, drop = {}, None
    if request.param == "postgres":
        database_url, drop = pg_database("_fedgroups")
        upgrade(database_url)
        backend = dict(database_url=database_url, redis_url=REDIS_URL, redis_prefix=f"idptest:{RUN_ID}:fedgroups:")
    live, stop = start_idp("embedded", tmp_path_factory, mailbox, port=port, issuer=issuer, providers=providers,
                           federation_timeout=2.0, **backend)
    yield live
    stop()
    if drop:
        live.services.store.flush_prefix()
        drop()


@pytest.fixture
def rp(fed):
    import dataclasses

    client, secret = fed.create_client(trusted=True, name="RP")
    return dataclasses.replace(client, client_metadata={"secret": secret})


def groups_of(fed, user_id: str) -> list[str]:
    return fed.services.apis.memberships(user_id)[0]


def corp_sign_in(fed, upstream, rp, email) -> str:
    flow = start(fed, rp)
    return finish(flow, upstream_login(flow, upstream, click_provider(flow, fed, "corp"), email))["sub"]


def test_oidc_groups_claim_maps_to_local_groups_and_follows_the_upstream(fed, upstream, rp):
    person = upstream.create_user(new_email())
    up = upstream.services.apis
    eng, ops = "eng", "ops"
    for name in (eng, ops):
        if name not in [row[1] for row in up.groups(limit=1000)]:  # (id, name, organization_id)
            up.create_group(name)
    up.add_member(eng, user_id=person.id)
    sub = corp_sign_in(fed, upstream, rp, person.email)
    assert groups_of(fed, sub) == ["engineering"]

    local = fed.services.apis
    mine = f"local-{sub[:8]}"
    local.create_group(mine)
    local.add_member(mine, user_id=sub)  # not mapped: the upstream never touches it
    up.remove_member(eng, user_id=person.id)
    up.add_member(ops, user_id=person.id)
    assert corp_sign_in(fed, upstream, rp, person.email) == sub
    assert groups_of(fed, sub) == sorted([mine, "operations"])  # engineering removed, operations added
    actions = [e.action for e in fed.services.audit_events.list(user_id=sub)]
    assert "federation.groups_synced" in actions


def test_github_organisations_and_teams_map_to_local_groups(fed, github, rp):
    github.sign_in_as(5000 + free_port(), new_email())
    github.orgs, github.teams = ["acme", "other"], [("acme", "sre"), ("other", "x")]
    flow = start(fed, rp)
    sub = finish(flow, click_provider(flow, fed, "github"))["sub"]
    assert groups_of(fed, sub) == ["acme-staff", "sre"]
    github.teams = []
    again = start(fed, rp)
    assert finish(again, click_provider(again, fed, "github"))["sub"] == sub
    assert groups_of(fed, sub) == ["acme-staff"]
    github.orgs = []


@pytest.mark.parametrize("value", ['["eng"]', '{"eng": ""}', "not json"])
def test_a_bad_group_map_is_a_configuration_error(value):
    with pytest.raises(ConfigError):
        provider_config({"name": "corp", "kind": "oidc", "issuer": "https://sso.example.com", "client_id": "x",
                         "group_map": value}, "https://idp.example.com")
