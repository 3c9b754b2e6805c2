"""Every console page is usable on a phone (issue 34): at a 390x844 viewport (an iPhone 12-15) no page
scrolls sideways (document.documentElement.scrollWidth <= 390; tables scroll inside their own box,
long key ids and URIs wrap), and the navigation is one "Menu" button, not ten links wrapped into
rows. The pages are every GET rule of the console's blueprint in the app's own url_map, their ids
filled from objects seeded with long values, so a page added later is visited too (a rule this
test cannot fill fails it). Debian's Chromium via Playwright; screenshots in test-artefacts/."""

from __future__ import annotations

import pytest

from idp.administration import Actor
from idp.events.admin import WebhookAdmin

from idp.store.import_jobs import ImportJobs
from tests.admin_console_flows import make_admin
from tests.apis_helpers import uid
from tests.test_admin_console_browser import sign_in

WIDTH, HEIGHT = 390, 844
LONG = "x" * 60  # a value with no place to break
# What sticks out: the deepest elements whose right edge passes the viewport (tag.class#id, right edge).
WIDEST = """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391
  && ![...e.children].some(c => c.getBoundingClientRect().right > 391)
  && !e.closest('.table-box')).slice(0, 5).map(e => `${e.tagName.toLowerCase()}.${e.className}#${e.id}
  ${Math.round(e.getBoundingClientRect().right)}`)"""


def seeded(idp) -> dict:
    """A value for each path argument of the console's rules, each object with long names and URIs."""
    registry, mark = idp.services.apis, uid()
    identifier = f"https://a-very-long-resource-server-name-{mark}.example.com/api/v1/{LONG}"
    registry.create_api(identifier, f"Orders {mark} {LONG}", {f"orders:{LONG}": "Read", "orders:write": ""})
    role = f"role-{mark}-{LONG}"
    registry.create_role(identifier, role, [f"orders:{LONG}"], f"Reads {LONG}")
    group = f"group-{mark}-{LONG}"
    registry.create_group(group)
    registry.create_group(f"parent-{mark}")
    registry.add_member(f"parent-{mark}", member_group=group)
    user = idp.create_user(email=f"someone.with.a.very.long.address.{mark}.{LONG}@example.com",
                           name=f"Grace {LONG}")
    registry.add_member(group, user_id=user.id)
    registry.assign(identifier, role, group=group)
    registry.assign(identifier, role, user_id=user.id)
    client, _ = idp.create_client(name=f"Client {LONG}",
                                  redirect_uris=[f"https://app-{mark}.example.com/callback/{LONG}/{LONG}"])
    registry.allow(identifier, client.client_id)
    jobs = ImportJobs(idp.services.db)
    job = jobs.create("jsonl", {"on_conflict": "skip"}, "cli")
    jobs.progress(job.id, "failed", {"failed": 1}, [{"position": 1, "reason": f"no such thing: {LONG}{LONG}"}],
                  message=f"stopped: {LONG}{LONG}")
    kid = next(k.kid for k in idp.services.keys.list_keys() if k.state == "current")
    idp.services.audit_events.add("test.long_details", user_id=user.id, client_id=client.client_id,
                                  actor=f"client:{client.client_id}", details={"uri": f"https://x.example/{LONG}{LONG}"})
    org = idp.services.organizations.create(slug=f"org-{mark}", name=f"Organization {LONG}")
    connection = idp.services.org_connections.create(
        org.id, "oidc", f"Connection {LONG}", f"client-{LONG}", "secret",
        f"https://idp-{mark}.example.com/{LONG}/.well-known/openid-configuration")
    endpoint, _ = WebhookAdmin(idp.services).create(Actor.operator(), {
        "url": f"https://hooks-{mark}.example.com/{LONG}/{LONG}", "event_types": ["user.created", "user.deleted"],
        "description": f"CRM {LONG}"})
    return {"user_id": user.id, "group_id": registry.group_named(group)[0], "api_id": registry.api(identifier).id,
            "role": role, "client_id": client.client_id, "kid": kid, "job_id": job.id, "organization_id": org.id,
            "connection_id": connection.id, "endpoint_id": endpoint.id, "delivery_id": "1"}


def console_pages(idp, values: dict) -> list[str]:
    """Every GET rule of the console blueprint, its arguments filled from `values`."""
    pages = []
    with idp.app.test_request_context():
        from flask import url_for

        for rule in idp.app.url_map.iter_rules():
            if not rule.endpoint.startswith("admin.") or "GET" not in rule.methods:
                continue
            missing = set(rule.arguments) - set(values)
            assert not missing, f"{rule.rule}: this test has no value for {missing}: seed one"
            pages.append(url_for(rule.endpoint, **{name: values[name] for name in rule.arguments}))
    return sorted(set(pages))


@pytest.fixture
def phone(chromium):
    context = chromium.new_context(locale="en-US", viewport={"width": WIDTH, "height": HEIGHT},
                                   device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_every_console_page_fits_a_390_px_screen(idp, phone, screenshot):
    admin, secret = make_admin(idp)
    sign_in(phone, idp, admin, secret)
    phone.get_by_role("heading", name="Overview").wait_for()
    pages = console_pages(idp, seeded(idp))
    assert len(pages) >= 20
    too_wide = {}
    for path in pages:
        if path in ("/admin/login", "/admin/callback"):
            continue  # the sign-in's own redirects, not pages of the console (an administrator is signed in)
        fetched = phone.context.request.get(idp.endpoint(path), max_redirects=0)
        assert fetched.status < 500, (path, fetched.status)
        if "html" not in fetched.headers.get("content-type", ""):
            continue  # the JWK download is a file, not a page
        response = phone.goto(idp.endpoint(path))
        assert response is not None and response.status < 500, (path, response and response.status)
        width = phone.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH:
            too_wide[path] = (width, phone.evaluate(WIDEST))
            screenshot(phone, "phone-too-wide-" + path.strip("/").replace("/", "-")[:80])
    assert too_wide == {}

    # The navigation is one button; opened, it lists every section, and the page still fits.
    phone.goto(idp.endpoint("/admin/users"))
    tabs = phone.locator(".console-nav")
    assert not tabs.is_visible()
    menu = phone.locator(".console-menu summary")
    assert menu.bounding_box()["height"] < 60
    menu.click()
    phone.get_by_role("navigation", name="Administration").get_by_role("link", name="Audit").click()
    phone.get_by_role("heading", name="Audit").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= WIDTH
    screenshot(phone, "phone-audit")
