"""Signing up from an organization's invitation link (issue 33): an invitee without an account sets a
name and password on the invitation's page; the account (its email verified, since the link reached
that address), the membership with the invited roles and the invitation's consumption are made in
one transaction, and the new user is signed in. A reused, expired or revoked link is an error page
and creates nothing; a weak password is refused under its field with nothing written."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from idp.store.organization_models import OrganizationInvitation
from tests.admin.test_organization_invitations import invite, setup
from tests.apis_helpers import uid
from tests.conftest import PASSWORD, Browser, hidden_fields


def sign_up(browser, page, name="New Member", password=PASSWORD):
    assert "data-sign-up" in page.text, page.text[:500]
    fields = {**hidden_fields(page.text), "name": name, "password": password, "sign_up": "1"}
    return browser.go(browser.idp.endpoint("/invitations/accept"), "POST", fields)


def test_an_invitee_without_an_account_signs_up_from_the_link_and_joins_with_the_roles(idp, mailbox):
    admin, org, api = setup(idp)
    email = f"newcomer-{uid()}@example.com"
    _, link = invite(idp, mailbox, admin, org, email, [{"api": api, "name": "reader"}])
    browser = Browser(idp)
    page = browser.go(link)
    assert page.status_code == 200 and "data-sign-up" in page.text and email in page.text
    weak = sign_up(browser, page, password="short")
    assert weak.status_code == 400 and 'id="password-error"' in weak.text and "data-sign-up" in weak.text
    nameless = sign_up(browser, page, name="  ")
    assert nameless.status_code == 400 and 'id="name-error"' in nameless.text
    assert idp.services.users.by_email(email) is None  # nothing written by a refused form
    joined = sign_up(browser, page)
    assert joined.status_code == 200 and 'data-joined="Invited Corp"' in joined.text
    user = idp.services.users.by_email(email)
    assert user is not None and user.email_verified and user.name == "New Member"
    member = admin.get(f"/organizations/{org['id']}/members/{user.id}").json()
    assert member["roles"] == [{"api": api, "name": "reader"}]
    assert admin.get(f"/organizations/{org['id']}/invitations").json()["items"][0]["accepted"] is True
    account = browser.go(idp.endpoint("/account"))  # signed in as the new user
    assert account.status_code == 200 and email in account.text
    reused = Browser(idp).go(link)
    assert reused.status_code == 400 and "already used" in reused.text


def test_an_invitee_with_an_account_is_offered_sign_in_not_sign_up(idp, mailbox):
    admin, org, _ = setup(idp)
    user = idp.create_user()
    _, link = invite(idp, mailbox, admin, org, user.email)
    page = Browser(idp).go(link)
    assert page.status_code == 200 and "data-sign-in" in page.text and "data-sign-up" not in page.text
    forced = Browser(idp)
    forced.go(link)
    csrf = hidden_fields(forced.go(idp.endpoint("/login")).text)["csrf_token"]  # the page offers no form: forge one
    posted = forced.go(idp.endpoint("/invitations/accept"), "POST",
                       {"csrf_token": csrf, "token": link.split("token=")[1], "name": "Someone", "password": PASSWORD,
                        "sign_up": "1"})
    assert posted.status_code == 400 and "sign in" in posted.text  # an account exists: no second one, nothing consumed
    assert admin.get(f"/organizations/{org['id']}/invitations").json()["items"][0]["accepted"] is False


def test_a_sign_up_with_an_expired_or_revoked_link_creates_nothing(idp, mailbox):
    admin, org, _ = setup(idp)
    email = f"late-{uid()}@example.com"
    invitation, link = invite(idp, mailbox, admin, org, email)
    browser = Browser(idp)
    page = browser.go(link)
    with idp.services.db.session() as session:
        session.execute(update(OrganizationInvitation).where(OrganizationInvitation.id == invitation["id"])
                        .values(expires_at=dt.datetime(2000, 1, 1)))
    expired = sign_up(browser, page)
    assert expired.status_code == 400 and "expired" in expired.text
    assert idp.services.users.by_email(email) is None
    other = f"revoked-{uid()}@example.com"
    second, link2 = invite(idp, mailbox, admin, org, other)
    page2 = browser.go(link2)
    assert admin.delete(f"/organizations/{org['id']}/invitations/{second['id']}").status_code == 204
    revoked = sign_up(browser, page2)
    assert revoked.status_code == 400 and "not valid" in revoked.text
    assert idp.services.users.by_email(other) is None


def test_the_store_makes_no_account_when_the_invitation_was_used_meanwhile(idp, mailbox):
    """The account and the consumption are one transaction: a consumed invitation leaves no orphan account."""
    from idp.plumbing.security import token_hash

    admin, org, _ = setup(idp)
    email = f"race-{uid()}@example.com"
    _, link = invite(idp, mailbox, admin, org, email)
    token = link.split("token=")[1]
    first = idp.services.invitations.accept_as_new_user(token_hash(token), email, "x", "First")
    assert first is not None
    second_email = f"race2-{uid()}@example.com"
    assert idp.services.invitations.accept_as_new_user(token_hash(token), second_email, "x", "Second") is None
    assert idp.services.users.by_email(second_email) is None
