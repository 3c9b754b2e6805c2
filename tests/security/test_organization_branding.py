"""An organization's branding on its sign-in pages (issue 33) cannot inject CSS or CSP, as a class:
generated hostile logo URLs (';' and CSP directives, quotes, CR/LF, javascript:, userinfo, disguised
IP addresses) and colours through the admin API are refused unless strict (https, a strict host,
RFC 3986 characters; #rrggbb); and whatever sits in the database, written past the service, the
login page of an authorization request naming the organization has exactly the fixed CSP plus the
logo's normalised origin, and /brand.css only a colour written from its three numbers."""

from __future__ import annotations

import html
import re
import uuid

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from idp.store.organization_models import Organization
from tests.admin_api import admin_session
from tests.security.client_pages import FIXED_CSP, HOSTILE_URLS, ORIGIN, authorization_url, expected_origin, is_strict

CHECKS = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
BRAND_LOGO = re.compile(r"<img class=\"brand-logo\" src=\"([^\"]*)\"")
STYLESHEET = re.compile(r"<link rel=\"stylesheet\" href=\"(/brand\.css[^\"]*)\"")
HOSTILE_COLORS = st.one_of(
    st.sampled_from(["#fff;}body{background:url(https://evil.example)}", "red", "#12345g", "#1234567",
                     "#123456;", "#123456\n", "expression(alert(1))", "#ABCDEF", "#abcdef", "</style><script>"]),
    st.text(max_size=9).map(lambda t: "#" + t))
DECLARATION = re.compile(r"  --primary: #[0-9a-f]{6};\n  --primary-rgb: \d{1,3}, \d{1,3}, \d{1,3};\n"
                         r"  --on-primary: #[0-9a-f]{6};\n")


@pytest.fixture(scope="module")
def branded(idp):
    """An organization, a client that may sign users in to it, and an admin API session."""
    org = idp.services.organizations.create(slug=f"brand-{uuid.uuid4().hex[:8]}", name="Brand Corp")
    client, _ = idp.create_client(name="Branded RP")
    idp.services.organizations.set_client_settings(client.client_id, usage="allow")
    return org, client, admin_session(idp)


def login_page(idp, client_id: str, organization: str | None):
    url = authorization_url(idp, client_id) + (f"&organization={organization}" if organization else "")
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and "/login" in page.url, (page.status_code, page.url)
    return page


def assert_branded_page_safe(idp, page) -> None:
    csp = page.headers["Content-Security-Policy"]
    match = FIXED_CSP.fullmatch(csp)
    assert match, csp
    origins = match["origins"].split()
    logos = [html.unescape(src) for src in BRAND_LOGO.findall(page.text)]
    assert all(ORIGIN.fullmatch(o) for o in origins), csp
    assert origins == sorted({expected_origin(logo) for logo in logos}), (csp, logos)
    assert all(is_strict(logo) and logo.startswith("https://") for logo in logos), logos
    for href in STYLESHEET.findall(page.text):
        body = requests.get(idp.endpoint(html.unescape(href)), timeout=5).text
        assert body.startswith(":root {\n") and body.endswith("}\n") and DECLARATION.fullmatch(body[8:-2]), body


def write_past_the_service(idp, org_id: str, **values) -> None:
    """What a database can hold (PostgreSQL: no NUL, no lone surrogate), written with no check at all."""
    values = {k: v.replace("\0", "").encode("utf-8", "ignore").decode() for k, v in values.items()}
    with idp.services.db.session() as session:
        session.execute(update(Organization).where(Organization.id == org_id).values(**values))


@settings(max_examples=25, **CHECKS)
@given(logo=HOSTILE_URLS, color=HOSTILE_COLORS)
def test_hostile_branding_is_refused_or_harmless_through_the_admin_api(idp, branded, logo, color):
    org, client, admin = branded
    etag = admin.get(f"/organizations/{org.id}").headers["ETag"]
    response = admin.patch(f"/organizations/{org.id}", json={"branding": {"logo_url": logo, "primary_color": color}},
                           headers={"If-Match": etag})
    strict_logo = is_strict(logo) and logo.startswith("https://")
    strict_color = re.fullmatch(r"#[0-9a-fA-F]{6}", color) is not None
    if response.status_code == 200:
        assert strict_logo and strict_color, (logo, color)
    else:
        assert response.status_code == 400, response.text
        named = {e["name"] for e in response.json()["errors"]}
        # a strict-looking URL may still be refused (port 0, a disguised IP address): never the reverse
        if named == {"branding"}:  # a NUL anywhere in the object: refused as a whole
            assert "\0" in logo + color, (logo, color)
        else:
            assert named <= {"branding.logo_url", "branding.primary_color"} and named, named
            assert ("branding.primary_color" in named) == (not strict_color), (color, named)
            assert strict_logo or "branding.logo_url" in named, (logo, named)
    assert_branded_page_safe(idp, login_page(idp, client.client_id, org.slug))


@settings(max_examples=25, **CHECKS)
@given(logo=HOSTILE_URLS, color=HOSTILE_COLORS)
def test_hostile_branding_in_the_database_never_reaches_the_page_or_a_header(idp, branded, logo, color):
    org, client, _ = branded
    write_past_the_service(idp, org.id, logo_url=logo[:2048], primary_color=color[:7])
    assert_branded_page_safe(idp, login_page(idp, client.client_id, org.slug))


def test_the_organizations_brand_replaces_the_deployments_when_the_request_names_it(idp, branded):
    org, client, admin = branded
    etag = admin.get(f"/organizations/{org.id}").headers["ETag"]
    changed = admin.patch(f"/organizations/{org.id}", headers={"If-Match": etag}, json={"branding": {
        "logo_url": "https://CDN.Brand.example:443/logo.png", "primary_color": "#AB12CD",
        "display_name": "Brand <b>Portal</b>"}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["branding"]["logo_url"] == "https://cdn.brand.example:443/logo.png"
    page = login_page(idp, client.client_id, org.slug)
    assert "Brand &lt;b&gt;Portal&lt;/b&gt;" in page.text and "<b>Portal" not in page.text
    assert BRAND_LOGO.findall(page.text) == ["https://cdn.brand.example:443/logo.png"]
    assert page.headers["Content-Security-Policy"].count("https://cdn.brand.example") == 1
    assert_branded_page_safe(idp, page)
    [href] = STYLESHEET.findall(page.text)
    assert "--primary: #ab12cd;" in requests.get(idp.endpoint(html.unescape(href)), timeout=5).text

    plain = login_page(idp, client.client_id, None)  # no organization named: the deployment's brand
    assert "Brand &lt;b&gt;Portal" not in plain.text and "cdn.brand.example" not in plain.headers[
        "Content-Security-Policy"]
    other, _ = idp.create_client(name="Not for organizations")  # usage none: the parameter brands nothing
    assert "Brand &lt;b&gt;Portal" not in login_page(idp, other.client_id, org.slug).text


def test_an_organization_admin_sets_its_own_branding_only(idp):
    from tests.admin.test_organization_isolation import limited_session, tenant

    admin = admin_session(idp)
    a, _ = tenant(idp, admin, "Alpha")
    b, _ = tenant(idp, admin, "Beta")
    limited = limited_session(idp, a["id"])
    etag = limited.get(f"/organizations/{a['id']}").headers["ETag"]
    own = limited.patch(f"/organizations/{a['id']}", json={"branding": {"display_name": "Alpha Portal"}},
                        headers={"If-Match": etag})
    assert own.status_code == 200 and own.json()["branding"]["display_name"] == "Alpha Portal"
    b_etag = admin.get(f"/organizations/{b['id']}").headers["ETag"]
    assert limited.patch(f"/organizations/{b['id']}", json={"branding": {"display_name": "Pwned"}},
                         headers={"If-Match": b_etag}).status_code == 404
    assert admin.get(f"/organizations/{b['id']}").json()["branding"]["display_name"] is None
