"""An organization's email domains (issue 33) end to end on both live servers: claimed with a token,
verified only when the DNS TXT record holds it (the check answered by the test through the
DomainCheck interface), refused clearly when it does not, when the DNS fails, when the name is not a
domain or already claimed; verified domains are what let an organization's own administrator add users."""

from __future__ import annotations

import pytest

from tests.admin_api import admin_session
from tests.apis_helpers import uid

PROBLEM = "application/problem+json"


class AnsweringDns:
    """The DomainCheck the tests answer: name -> TXT strings; a name mapped to None fails the lookup."""

    def __init__(self):
        self.records: dict = {}

    def txt_records(self, name):
        value = self.records.get(name, [])
        if value is None:
            raise LookupError(f"the DNS did not answer for {name}: Timeout")
        return value


@pytest.fixture
def dns(idp):
    previous, idp.services.domain_check = idp.services.domain_check, AnsweringDns()
    yield idp.services.domain_check
    idp.services.domain_check = previous


def test_a_domain_is_verified_only_by_its_dns_txt_token(idp, dns):
    admin = admin_session(idp)
    org = admin.post("/organizations", json={"slug": f"dom-{uid()}", "name": "Dom"}).json()
    domain = f"acme-{uid()}.example.com"
    claimed = admin.post(f"/organizations/{org['id']}/domains", json={"domain": domain.upper()})
    assert claimed.status_code == 201, claimed.text
    body = claimed.json()
    assert body["domain"] == domain and body["verified"] is False
    record = body["verification"]
    assert record["type"] == "dns-txt" and record["name"] == f"_idp-verification.{domain}"
    path = f"/organizations/{org['id']}/domains/{domain}"
    missing = admin.post(path + "/verify")
    assert missing.status_code == 409 and missing.headers["Content-Type"] == PROBLEM
    dns.records[record["name"]] = ["v=spf1 -all", "idp-domain-verification=someone-else"]
    assert admin.post(path + "/verify").status_code == 409
    dns.records[record["name"]] = None
    failed = admin.post(path + "/verify")
    assert failed.status_code == 409 and "try again later" in failed.json()["detail"]
    dns.records[record["name"]] = ["v=spf1 -all", record["value"]]
    verified = admin.post(path + "/verify")
    assert verified.status_code == 200 and verified.json()["verified"] is True
    assert admin.get(path).json()["verified"] is True
    assert [d["domain"] for d in admin.get(f"/organizations/{org['id']}/domains").json()["items"]] == [domain]
    events = idp.services.audit_events.list(action="organization.domain_verified", limit=500)
    assert any(e.details.get("organization_id") == org["id"] for e in events)
    assert admin.delete(path).status_code == 204 and admin.get(path).status_code == 404


def test_bad_or_taken_domains_are_refused_rfc9457(idp, dns):
    admin = admin_session(idp)
    org, other = (admin.post("/organizations", json={"slug": f"dom-{uid()}", "name": "Dom"}).json() for _ in range(2))
    for bad in ("localhost", "not a domain", "-x.example.com", "x" * 300 + ".com", "exa_mple.com"):
        response = admin.post(f"/organizations/{org['id']}/domains", json={"domain": bad})
        assert response.status_code == 400 and [e["name"] for e in response.json()["errors"]] == ["domain"], bad
    domain = f"taken-{uid()}.example.com"
    assert admin.post(f"/organizations/{org['id']}/domains", json={"domain": domain}).status_code == 201
    taken = admin.post(f"/organizations/{other['id']}/domains", json={"domain": domain})
    assert taken.status_code == 409 and taken.headers["Content-Type"] == PROBLEM
    assert admin.post(f"/organizations/{other['id']}/domains/{domain}/verify").status_code == 404
