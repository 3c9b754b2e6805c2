"""Organizations in the admin console (issue 33): the list (keyset pages, search by a part of the
slug or name), an organization's page with its members, roles, invitations, domains and groups, every
form through the service the admin API uses, CSRF-protected, each refusal shown under its field
(400, never a 500)."""

from __future__ import annotations

import re

from tests.admin.test_organization_domains import AnsweringDns
from tests.admin_console_flows import console, post_form  # noqa: F401
from tests.apis_helpers import uid
from tests.conftest import mail_link


def org_page(browser, org_id):
    page = browser.go(browser.idp.endpoint(f"/admin/organizations/{org_id}"))
    assert page.status_code == 200, page.text[:300]
    return page


def confirm(browser, path, page, **fields):
    """A removal: the first POST asks, the second (confirmed=yes) acts."""
    asked = post_form(browser, path, page, **fields)
    assert asked.status_code == 200 and 'name="confirmed"' in asked.text, asked.text[:300]
    return post_form(browser, path, asked, confirmed="yes", **fields)


def field_error(page, field: str) -> str:
    found = re.search(rf'id="{field}-error" role="alert">([^<]*)<', page.text)
    assert found, page.text[:2000]
    return found.group(1)


def test_organizations_are_listed_searched_and_created_with_errors_under_their_fields(idp, console):
    browser, _ = console
    tag = uid()
    listing = browser.go(idp.endpoint("/admin/organizations"))
    assert listing.status_code == 200 and 'name="slug"' in listing.text
    bad = post_form(browser, "/admin/organizations", listing, slug="Not A Slug", name="")
    assert bad.status_code == 400 and "DNS label" in field_error(bad, "slug") and field_error(bad, "name")
    assert 'value="Not A Slug"' in bad.text  # what was typed comes back
    for n in range(23):
        idp.services.organizations.create(slug=f"srch-{tag}-{n:02d}", name=f"Searched {tag} {n}")
    created = post_form(browser, "/admin/organizations", listing, slug=f"acme-{tag}", name="Acme Widgets")
    assert created.status_code == 200 and "The organization was created." in created.text
    taken = post_form(browser, "/admin/organizations", listing, slug=f"acme-{tag}", name="Again")
    assert taken.status_code == 409 or taken.status_code == 400
    assert "already exists" in field_error(taken, "slug")
    found = browser.go(idp.endpoint(f"/admin/organizations?q=WIDGETS"))
    assert f"acme-{tag}" in found.text
    first = browser.go(idp.endpoint(f"/admin/organizations?q=srch-{tag}"))
    assert first.text.count(f"srch-{tag}-") == 20 and 'rel="next"' in first.text
    following = re.search(r'href="([^"]+)" rel="next"', first.text).group(1).replace("&amp;", "&")
    second = browser.go(idp.endpoint(following))
    assert second.text.count(f"srch-{tag}-") == 3 and f"srch-{tag}-22" in second.text
    percent = browser.go(idp.endpoint("/admin/organizations?q=%25"))  # a LIKE wildcard matches itself only
    assert percent.status_code == 200 and f"srch-{tag}" not in percent.text


def test_members_roles_invitations_domains_and_groups_from_an_organization_page(idp, console, mailbox):
    browser, _ = console
    org = idp.services.organizations.create(slug=f"run-{uid()}", name="Run Corp")
    api = f"https://run-{uid()}.example.com/"
    idp.services.apis.create_api(api, "Run API", {"run:read": ""})
    idp.services.apis.create_role(api, "reader", ["run:read"])
    member = idp.create_user()
    page = org_page(browser, org.id)

    nobody = post_form(browser, f"/admin/organizations/{org.id}/members", page, member="nobody-" + uid() + "@x.example")
    assert nobody.status_code == 400 and "no user" in field_error(nobody, "member")
    added = post_form(browser, f"/admin/organizations/{org.id}/members", page, member=member.email)
    assert "The member was added." in added.text and member.email in added.text
    roles_url = f"/admin/organizations/{org.id}/members/{member.id}"
    roles_page = browser.go(idp.endpoint(roles_url))
    wrong = post_form(browser, roles_url, roles_page, roles=f"{api}#nope\n")
    assert wrong.status_code == 400 and "has no role nope" in field_error(wrong, "roles")
    garbled = post_form(browser, roles_url, roles_page, roles="just-a-word")
    assert garbled.status_code == 400 and "just-a-word" in field_error(garbled, "roles")
    saved = post_form(browser, roles_url, roles_page, roles=f"{api}#reader\norg:admin")
    assert "The member&#39;s roles were saved." in saved.text or "roles were saved" in saved.text
    assert sorted(idp.services.organizations.member(org.id, member.id).roles, key=str) == \
        sorted([(None, "org:admin"), (api, "reader")], key=str)

    page = org_page(browser, org.id)
    invalid = post_form(browser, f"/admin/organizations/{org.id}/invitations", page, invite_email="not-an-email",
                        invite_roles="", invite_days="7")
    assert invalid.status_code == 400 and field_error(invalid, "invite_email")
    days = post_form(browser, f"/admin/organizations/{org.id}/invitations", page, invite_email="a@b.example",
                     invite_roles="", invite_days="99")
    assert days.status_code == 400 and field_error(days, "invite_days")
    invitee = f"invitee-{uid()}@example.com"
    sent = post_form(browser, f"/admin/organizations/{org.id}/invitations", page, invite_email=invitee,
                     invite_roles=f"{api}#reader", invite_days="3")
    assert "The invitation was sent by email." in sent.text and invitee in sent.text and "pending" in sent.text
    assert mail_link(mailbox.wait_for(invitee, "invited"), "/invitations/accept")
    invitation = idp.services.invitations.page(org.id)[0]
    revoked = confirm(browser, f"/admin/organizations/{org.id}/invitations/revoke", sent,
                      invitation_id=invitation.id, email=invitee)
    assert "revoked" in revoked.text and idp.services.invitations.page(org.id) == []

    domain = f"run-{uid()}.example.com"
    bad_domain = post_form(browser, f"/admin/organizations/{org.id}/domains", page, domain="not a domain")
    assert bad_domain.status_code == 400 and field_error(bad_domain, "domain")
    claimed = post_form(browser, f"/admin/organizations/{org.id}/domains", page, domain=domain)
    token = idp.services.organizations.domain(org.id, domain).verification_token
    assert f"_idp-verification.{domain}" in claimed.text and token in claimed.text
    previous, idp.services.domain_check = idp.services.domain_check, AnsweringDns()
    try:
        absent = post_form(browser, f"/admin/organizations/{org.id}/domains/verify", page, domain=domain)
        assert absent.status_code == 409 and "no TXT record" in absent.text
        idp.services.domain_check.records[f"_idp-verification.{domain}"] = [f"idp-domain-verification={token}"]
        verified = post_form(browser, f"/admin/organizations/{org.id}/domains/verify", page, domain=domain)
        assert "The domain is verified." in verified.text
    finally:
        idp.services.domain_check = previous

    group = f"run-group-{uid()}"
    made = post_form(browser, f"/admin/organizations/{org.id}/groups", page, group_name=group)
    assert "The group was created." in made.text and group in made.text
    group_id = idp.services.apis.group_named(group)[0]
    assert idp.services.apis.group_named(group)[2] == org.id
    group_url = f"/admin/organizations/{org.id}/groups/{group_id}"
    group_page = browser.go(idp.endpoint(group_url))
    stranger = idp.create_user()
    refused = post_form(browser, group_url + "/members", group_page, member=stranger.email)
    assert refused.status_code == 400 and "not a member" in field_error(refused, "member")
    joined = post_form(browser, group_url + "/members", group_page, member=member.email)
    assert "The member was added." in joined.text and member.email in joined.text
    role_set = post_form(browser, group_url, group_page, roles=f"{api}#reader")
    assert "roles were saved" in role_set.text and idp.services.apis.group_roles(group) == [(api, "reader")]

    removed = confirm(browser, f"/admin/organizations/{org.id}/members/remove", page, user_id=member.id,
                      email=member.email)
    assert "The member was removed." in removed.text and not idp.services.organizations.is_member(org.id, member.id)


def test_console_forms_without_their_csrf_token_change_nothing(idp, console):
    browser, _ = console
    org = idp.services.organizations.create(slug=f"csrf-{uid()}", name="Csrf Corp")
    user = idp.create_user()
    refused = browser.go(idp.endpoint(f"/admin/organizations/{org.id}/members"), "POST", {"member": user.email})
    assert refused.status_code == 400 and not idp.services.organizations.is_member(org.id, user.id)
