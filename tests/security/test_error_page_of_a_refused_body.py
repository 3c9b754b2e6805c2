"""A page drawn for a request whose body was refused (RFC 9110 15.5.14, 413 Content Too Large) must
not read that body again: every page's context (the organization's brand looks for an
`interaction` in the form) would raise a second time and turn the 413 into a 500."""

from __future__ import annotations

import requests


def test_a_body_over_the_limit_is_a_413_page_on_every_form_endpoint(idp):
    for path in ("/login", "/account/apps/revoke", "/register", "/forgot-password", "/consent"):
        response = requests.post(idp.endpoint(path), data={"interaction": "x" * 100_000, "email": "a@example.com"},
                                 timeout=10, allow_redirects=False)
        assert response.status_code == 413, (path, response.status_code, response.text[:300])
        assert "Traceback" not in response.text
