"""The organization console pages in a real browser (Debian's Chromium via Playwright): a deployment
administrator creates an organization, adds a member and edits their roles, sends an invitation and
claims a domain; an organization's own administrator (org:admin, no deployment administrator) signs
in and sees only their organization. On a 390 px wide phone the pages are no wider than the
viewport (no horizontal scrolling, WCAG 1.4.10 Reflow). Screenshots: test-artefacts/screenshots/org-*.png."""

from __future__ import annotations

import time

import pyotp
import pytest

from tests.admin_console_flows import make_admin
from tests.apis_helpers import uid
from tests.test_admin_console_browser import sign_in

WIDE = "document.documentElement.scrollWidth"


@pytest.fixture
def phone(chromium):
    context = chromium.new_context(locale="en-US", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def fits(page) -> None:
    assert page.evaluate(WIDE) <= 390, f"{page.url} is {page.evaluate(WIDE)}px wide on a 390px viewport"


def test_an_administrator_runs_an_organization_from_a_phone(idp, phone, screenshot):
    admin, secret = make_admin(idp)
    sign_in(phone, idp, admin, secret)
    phone.get_by_role("heading", name="Overview").wait_for()
    phone.goto(idp.endpoint("/admin/organizations"))
    slug = f"phone-{uid()}"
    phone.get_by_label("Slug", exact=True).fill(slug)
    phone.get_by_label("Name", exact=True).fill("Phone Corp with a rather long name for a small screen")
    phone.get_by_role("button", name="Create the organization").click()
    phone.get_by_text("The organization was created.").wait_for()
    org = idp.services.organizations.by_slug(slug)
    fits(phone)

    member = idp.create_user(email=f"a-rather-long-address-{uid()}@a-long-domain-name.example.com")
    phone.get_by_label("User's email or id").fill(member.email)
    phone.get_by_role("button", name="Add the member").click()
    phone.get_by_text("The member was added.").wait_for()
    phone.get_by_role("link", name=member.email).click()
    phone.get_by_label("Roles, one a line (org:admin or API_IDENTIFIER#ROLE)").fill("not a role")
    phone.get_by_role("button", name="Save the roles").click()
    phone.locator("#roles-error").wait_for()  # the refusal under its field
    fits(phone)
    phone.get_by_label("Roles, one a line (org:admin or API_IDENTIFIER#ROLE)").fill("org:admin")
    phone.get_by_role("button", name="Save the roles").click()
    phone.get_by_text("The member's roles were saved.").wait_for()
    assert idp.services.organizations.member(org.id, member.id).roles == ((None, "org:admin"),)

    phone.get_by_label("Email to invite").fill(f"invitee-{uid()}@example.com")
    phone.get_by_role("button", name="Send the invitation").click()
    phone.get_by_text("The invitation was sent by email.").wait_for()
    domain = f"a-very-long-subdomain-name-{uid()}.phone-corp.example.com"
    phone.get_by_label("Domain", exact=True).fill(domain)
    phone.get_by_role("button", name="Claim the domain").click()
    phone.get_by_text("The domain was claimed").wait_for()
    fits(phone)  # the TXT record's long token wraps
    screenshot(phone, "org-01-organization-phone")


def test_an_organization_administrator_sees_their_organization_only(idp, phone, screenshot):
    mine = idp.services.organizations.create(slug=f"mine-{uid()}", name="Mine Corp")
    other = idp.services.organizations.create(slug=f"other-{uid()}", name="Other Corp")
    user = idp.create_user()
    secret = pyotp.random_base32()
    idp.services.mfa.enrol(user.id, secret, pyotp.TOTP(secret).at(time.time() - 30))
    idp.services.organizations.add_member(mine.id, user.id)
    idp.services.organizations.set_roles(mine.id, user.id, [(None, "org:admin")])
    sign_in(phone, idp, user, secret)
    phone.get_by_role("heading", name="Organizations").wait_for()
    phone.locator(".console-menu summary").click()  # on a phone the sections are behind one Menu button
    nav = phone.locator(".console-menu nav")
    assert nav.get_by_role("link").all_inner_texts() == ["Organizations"]
    assert phone.get_by_role("link", name="Other Corp").count() == 0
    phone.get_by_role("link", name="Mine Corp").click()
    phone.get_by_role("heading", name="Mine Corp").wait_for()
    assert phone.get_by_role("button", name="Delete the organization").count() == 0
    fits(phone)
    screenshot(phone, "org-02-delegated-phone")
    assert phone.goto(idp.endpoint(f"/admin/organizations/{other.id}")).status == 404
    assert phone.goto(idp.endpoint("/admin/users")).status == 404
