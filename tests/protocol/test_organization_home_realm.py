"""Home-realm discovery to an organization's enterprise connection (issue 33), end to end on both live
servers against a real local upstream OpenID Connect provider (a second instance of this IdP, the one
tests/test_federation.py signs in with): the login page's identifier step routes an email whose
domain the organization VERIFIED to its connection (authorization code + PKCE + nonce, OIDC Core
3.1.3.7 ID token validation, RFC 9207 iss), and the person comes back signed in (amr "fed", RFC 8176)
and a member of the organization, the user, its identity and its membership made together.
An unverified domain routes nowhere; a connection whose upstream is down ends on an error page."""

from __future__ import annotations

import dataclasses
import uuid

from flask import Flask
from sqlalchemy import func, select

from idp.store.errors import Conflict
from idp.store.models import FederatedIdentity, User
from idp.store.organization_models import OrganizationMember
from tests.admin_api import admin_session
from tests.conftest import PASSWORD, hidden_fields
from tests.test_federation import Agent, finish, start, upstream, upstream_login  # noqa: F401  (the upstream fixture)
from tests.upstreams import ThreadServer


def rp(idp):
    client, secret = idp.create_client(trusted=True, name="Enterprise RP")
    return dataclasses.replace(client, client_metadata={"secret": secret})


def enterprise(idp, upstream, verified=True):
    """An organization with a (verified) domain and a connection to the upstream registered for it."""
    admin = admin_session(idp)
    domain = f"corp-{uuid.uuid4().hex[:8]}.example.com"
    org = admin.post("/organizations", json={"slug": f"corp-{uuid.uuid4().hex[:8]}", "name": "Corp"}).json()
    claimed = idp.services.organizations.add_domain(org["id"], domain, "token")
    if verified:
        idp.services.organizations.mark_verified(claimed.id)
    created = admin.post(f"/organizations/{org['id']}/connections", json={
        "kind": "oidc", "label": "Corp SSO", "client_id": "pending", "client_secret": "pending",
        "discovery_url": upstream.url + "/.well-known/openid-configuration"})
    assert created.status_code == 201, created.text
    connection = created.json()
    client, secret = upstream.create_client(name="downstream for Corp", trusted=True, scope="openid profile email",
                                            redirect_uris=[connection["callback_url"]])
    changed = admin.patch(f"/organizations/{org['id']}/connections/{connection['id']}",
                          json={"client_id": client.client_id, "client_secret": secret},
                          headers={"If-Match": created.headers["ETag"]})
    assert changed.status_code == 200, changed.text
    return org, domain, connection


def continue_with_email(idp, flow, email):
    """The login page's identifier step: the email, no password, continue."""
    fields = hidden_fields(flow.page.text)
    fields.update(email=email, password="")
    return flow.agent.post(idp.endpoint("/login"), fields)


def counts(idp, email, org_id):
    with idp.services.db.session() as session:
        users = session.scalar(select(func.count()).select_from(User).where(User.email == email))
        members = session.scalar(select(func.count()).select_from(OrganizationMember).where(
            OrganizationMember.organization_id == org_id))
        return users, members


def test_a_verified_domain_goes_to_its_connection_and_comes_back_a_member(idp, upstream):
    org, domain, connection = enterprise(idp, upstream)
    person = upstream.create_user(f"ada-{uuid.uuid4().hex[:6]}@{domain}", name="Ada Corp")
    flow = start(idp, rp(idp))
    at_upstream = continue_with_email(idp, flow, person.email)
    back = upstream_login(flow, upstream, at_upstream, person.email)
    claims = finish(flow, back)
    assert claims["amr"] == ["fed"] and claims["idp"] == connection["id"]
    local = idp.services.users.by_id(claims["sub"])
    assert local.email == person.email and local.email_verified and local.password_hash is None
    assert idp.services.organizations.is_member(org["id"], local.id)
    events = {e.action: e.details for e in idp.services.audit_events.list(user_id=local.id, limit=50)}
    assert events["organization.member_joined_by_connection"]["organization_id"] == org["id"]
    assert events["federation.user_created"]["organization_id"] == org["id"]

    again = start(idp, rp(idp))  # a new browser, the same upstream account: the same user
    back = upstream_login(again, upstream, continue_with_email(idp, again, person.email), person.email)
    assert finish(again, back)["sub"] == local.id
    assert counts(idp, person.email, org["id"]) == (1, 1)


def test_an_unverified_domain_is_not_routed(idp, upstream):
    org, domain, _ = enterprise(idp, upstream, verified=False)
    flow = start(idp, rp(idp))
    page = continue_with_email(idp, flow, f"bob@{domain}")
    assert page.status_code == 400 and page.url.startswith(idp.url)
    assert "Enter your password." in page.text and 'name="password"' in page.text


def test_an_email_outside_the_organizations_domains_is_refused_and_nothing_is_made(idp, upstream):
    """The organization's upstream vouches for its own domains only: it cannot mint other addresses."""
    org, domain, _ = enterprise(idp, upstream)
    outsider = upstream.create_user(f"eve-{uuid.uuid4().hex[:6]}@elsewhere.example.com")
    flow = start(idp, rp(idp))
    page = upstream_login(flow, upstream, continue_with_email(idp, flow, f"eve@{domain}"), outsider.email)
    assert page.status_code == 403 and "not in one of this organization" in page.text
    assert counts(idp, outsider.email, org["id"]) == (0, 0)


def test_an_existing_account_is_linked_and_joins_only_after_its_password(idp, upstream):
    org, domain, connection = enterprise(idp, upstream)
    email = f"grace-{uuid.uuid4().hex[:6]}@{domain}"
    local = idp.create_user(email=email)
    upstream.create_user(email)
    flow = start(idp, rp(idp))
    login_page = upstream_login(flow, upstream, continue_with_email(idp, flow, email), email)
    assert login_page.status_code == 200 and "login_hint" in login_page.url
    assert not idp.services.organizations.is_member(org["id"], local.id)
    fields = hidden_fields(login_page.text)
    fields.update(email=email, password=PASSWORD)  # the pending link: no routing, the password signs in
    claims = finish(flow, flow.agent.post(idp.endpoint("/login"), fields))
    assert claims["sub"] == local.id
    assert idp.services.organizations.is_member(org["id"], local.id)
    assert [(i.provider, i.user_id) for i in idp.services.federated.for_user(local.id)] == [(connection["id"], local.id)]


def test_a_connection_whose_upstream_is_down_shows_an_error_page(idp, upstream):
    """A real local HTTP server, stopped: the discovery request fails, a 502 page (not a 500), nothing made."""
    org, domain, _ = enterprise(idp, upstream)
    gone = ThreadServer(Flask("gone"))
    admin = admin_session(idp)
    connection = admin.post(f"/organizations/{org['id']}/connections", json={
        "kind": "oidc", "label": "Gone SSO", "client_id": "x", "client_secret": "y",
        "discovery_url": gone.url + "/.well-known/openid-configuration"}).json()
    for row in admin.get(f"/organizations/{org['id']}/connections").json()["items"]:  # the stopped one first
        if row["id"] != connection["id"]:
            etag = admin.get(f"/organizations/{org['id']}/connections/{row['id']}").headers["ETag"]
            assert admin.delete(f"/organizations/{org['id']}/connections/{row['id']}",
                                headers={"If-Match": etag}).status_code == 204
    gone.stop()
    gone.server.server_close()
    email = f"dan@{domain}"
    flow = start(idp, rp(idp))
    page = continue_with_email(idp, flow, email)
    assert page.status_code == 502 and "Gone SSO is not responding right now" in page.text
    assert counts(idp, email, org["id"]) == (0, 0)


def test_user_identity_and_membership_are_made_in_one_transaction(idp, upstream):
    """create_member: when the user cannot be made (its email is taken), neither the identity nor the
    membership is left behind."""
    org, domain, connection = enterprise(idp, upstream)
    email = f"taken-{uuid.uuid4().hex[:6]}@{domain}"
    idp.create_user(email=email)
    view = idp.services.org_connections.get(connection["id"])
    try:
        idp.services.org_connections.create_member(view, "subject-1", email, "Taken")
    except Conflict:
        pass
    else:
        raise AssertionError("a second user with the same email was made")
    with idp.services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(FederatedIdentity).where(
            FederatedIdentity.provider == connection["id"])) == 0
    assert counts(idp, email, org["id"]) == (1, 0)


def test_a_connections_upstream_requests_go_through_the_outbound_guard(idp, upstream):
    """The discovery URL is an organization administrator's: a host that resolves to a non-public address
    and is not in OUTBOUND_ALLOWED_HOSTS (the tests allow 127.0.0.1, not localhost) is never called,
    though the upstream there is up; the person gets the error page."""
    org, domain, connection = enterprise(idp, upstream)
    admin = admin_session(idp)
    path = f"/organizations/{org['id']}/connections/{connection['id']}"
    changed = admin.patch(path, json={"discovery_url": upstream.url.replace("127.0.0.1", "localhost")
                                      + "/.well-known/openid-configuration"},
                          headers={"If-Match": admin.get(path).headers["ETag"]})
    assert changed.status_code == 200, changed.text
    flow = start(idp, rp(idp))
    page = continue_with_email(idp, flow, f"mallory@{domain}")
    assert page.status_code == 502 and page.url.startswith(idp.url) and "Corp SSO is not responding" in page.text


def test_cancelling_at_the_organizations_provider_ends_on_a_page_rfc6749_4_1_2_1(idp, upstream):
    """error=access_denied (with the provider's iss, RFC 9207) at the connection's callback: the
    federation's page, 400, nothing made; the state is used once (a replay is refused)."""
    from urllib.parse import parse_qs, urlencode, urlsplit

    org, domain, connection = enterprise(idp, upstream)
    email = f"carol@{domain}"
    flow = start(idp, rp(idp))
    fields = hidden_fields(flow.page.text)
    fields.update(email=email, password="")
    to_upstream = flow.agent.http.post(idp.endpoint("/login"), data=fields, allow_redirects=False, timeout=10)
    assert to_upstream.status_code == 302 and to_upstream.headers["Location"].startswith(upstream.url)
    state = parse_qs(urlsplit(to_upstream.headers["Location"]).query)["state"][0]
    callback = connection["callback_url"] + "?" + urlencode({"error": "access_denied", "state": state,
                                                             "iss": upstream.url})
    page = flow.agent.get(callback)
    assert page.status_code == 400 and "You cancelled signing in with Corp SSO" in page.text
    assert flow.agent.get(callback).status_code == 400  # used once
    assert counts(idp, email, org["id"]) == (0, 0)
