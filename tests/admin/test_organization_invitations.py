"""Invitations to an organization (issue 33) end to end on both live servers: the admin API invites an
email with roles, the invitee gets a one-time link by email, signs in (coming back to the link) and
joins with one click; the membership and its roles exist exactly when the invitation is consumed;
a reused, expired, revoked or misdirected link is a clear error page and changes nothing."""

from __future__ import annotations

import datetime as dt
import html
import re

from sqlalchemy import update

from idp.store.organization_models import OrganizationInvitation
from tests.admin_api import admin_session
from tests.apis_helpers import uid
from tests.conftest import Browser, hidden_fields, mail_link


def setup(idp):
    admin = admin_session(idp)
    org = admin.post("/organizations", json={"slug": f"inv-{uid()}", "name": "Invited Corp"}).json()
    api = f"https://inv-{uid()}.example.com/"
    idp.services.apis.create_api(api, "Inv API", {"inv:read": ""})
    idp.services.apis.create_role(api, "reader", ["inv:read"])
    return admin, org, api


def invite(idp, mailbox, admin, org, email, roles=()) -> tuple[dict, str]:
    response = admin.post(f"/organizations/{org['id']}/invitations", json={"email": email, "roles": list(roles)})
    assert response.status_code == 201, response.text
    assert "token" not in response.text  # the link goes by email only
    return response.json(), mail_link(mailbox.wait_for(email.lower(), "invited"), "/invitations/accept")


def sign_in_link(idp, page) -> str:
    found = re.search(r'href="([^"]+)" data-sign-in', page.text)
    assert found, page.text[:500]
    return idp.url + html.unescape(found.group(1))


def join(browser, link, email):
    page = browser.go(link)
    if "data-sign-in" in page.text:
        login = browser.go(sign_in_link(browser.idp, page))
        page = browser.login(login, email)
    assert 'name="accept"' in page.text, page.text[:500]
    return browser.go(browser.idp.endpoint("/invitations/accept"), "POST", hidden_fields(page.text))


def test_an_invitee_signs_in_from_the_link_and_joins_with_the_roles_once(idp, mailbox):
    admin, org, api = setup(idp)
    user = idp.create_user()
    roles = [{"api": api, "name": "reader"}, {"api": None, "name": "org:admin"}]
    invitation, link = invite(idp, mailbox, admin, org, user.email.upper(), roles)
    assert invitation["email"] == user.email and invitation["accepted"] is False
    joined = join(Browser(idp), link, user.email)
    assert joined.status_code == 200 and 'data-joined="Invited Corp"' in joined.text
    member = admin.get(f"/organizations/{org['id']}/members/{user.id}").json()
    assert sorted(member["roles"], key=str) == sorted(roles, key=str)
    assert admin.get(f"/organizations/{org['id']}/invitations").json()["items"][0]["accepted"] is True
    again = Browser(idp).go(link)
    assert again.status_code == 400 and "already used" in again.text
    events = idp.services.audit_events.list(action="organization.invitation_accepted", limit=500)
    assert any(e.user_id == user.id and e.details["organization_id"] == org["id"] for e in events)


def test_expired_revoked_or_misdirected_invitations_change_nothing(idp, mailbox):
    admin, org, _ = setup(idp)
    invitee, other = idp.create_user(), idp.create_user()
    invitation, link = invite(idp, mailbox, admin, org, invitee.email)
    browser = Browser(idp)
    page = browser.go(link)
    login = browser.go(sign_in_link(idp, page))
    page = browser.login(login, other.email)  # signed in as someone else
    refused = browser.go(idp.endpoint("/invitations/accept"), "POST", hidden_fields(page.text))
    assert refused.status_code == 400 and f"for {invitee.email}" in refused.text
    assert admin.get(f"/organizations/{org['id']}/members/{other.id}").status_code == 404
    with idp.services.db.session() as session:
        session.execute(update(OrganizationInvitation).where(OrganizationInvitation.id == invitation["id"])
                        .values(expires_at=dt.datetime(2000, 1, 1)))
    expired = Browser(idp).go(link)
    assert expired.status_code == 400 and "expired" in expired.text
    second, link2 = invite(idp, mailbox, admin, org, f"x-{invitee.email}")
    assert admin.delete(f"/organizations/{org['id']}/invitations/{second['id']}").status_code == 204
    assert Browser(idp).go(link2).status_code == 400
    assert admin.get(f"/organizations/{org['id']}/members").json()["items"] == []
    bad = admin.post(f"/organizations/{org['id']}/invitations",
                     json={"email": "nope", "roles": [{"api": "https://none/", "name": "x"}], "ttl": 5})
    assert bad.status_code == 400 and {e["name"] for e in bad.json()["errors"]} == {"email", "ttl"}
    unknown_role = admin.post(f"/organizations/{org['id']}/invitations",
                              json={"email": "a@example.com", "roles": [{"api": "https://none/", "name": "x"}]})
    assert unknown_role.status_code == 400 and [e["name"] for e in unknown_role.json()["errors"]] == ["roles"]
    assert Browser(idp).go(idp.endpoint("/invitations/accept?token=" + "A" * 43)).status_code == 400
