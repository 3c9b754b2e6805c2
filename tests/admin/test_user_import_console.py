"""Importing users from the console (issue 32): the upload form (CSRF, an administrator only), the
job's page with its counts and per-record errors, larger files than the 64 KiB every other request
is held to; the same job service as the admin API."""

from __future__ import annotations

import json
import time
import uuid

import bcrypt

from ..admin_console_flows import console, enter_console  # noqa: F401
from ..conftest import PASSWORD, Browser, hidden_fields, remember_secret
from ..flows import sign_in


def upload(browser, content: bytes, **fields):
    page = browser.go(browser.idp.endpoint("/admin/users/import"))
    data = {**hidden_fields(page.text), "format": "jsonl", "on_conflict": "skip", **fields}
    return browser.http.post(browser.idp.endpoint("/admin/users/import"), data=data, timeout=30,
                             files={"file": ("users.jsonl", content, "application/x-ndjson")})


def job_page(browser, url: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = browser.go(url)
        if "Refresh" not in page.headers:  # the page refreshes itself while the job runs
            return page
        time.sleep(0.3)
    raise AssertionError("the import did not finish")


def test_an_administrator_uploads_a_file_and_sees_the_result(idp, console):
    browser, _ = console
    stored = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(12)).decode()
    remember_secret(stored)
    email = f"console-{uuid.uuid4().hex[:8]}@example.com"
    lines = [json.dumps({"id": str(uuid.uuid4()), "email": email, "email_verified": True, "password": stored})]
    # Padding records (no password) make the file larger than the 64 KiB the other forms accept.
    lines += [json.dumps({"email": f"pad-{uuid.uuid4().hex}@example.com", "name": "x" * 200}) for _ in range(300)]
    lines.append("{not json")
    content = ("\n".join(lines) + "\n").encode()
    assert len(content) > 64 * 1024
    response = upload(browser, content)
    assert response.status_code == 200 and "/admin/user-imports/" in response.url, response.text[:300]
    page = job_page(browser, response.url)
    assert '<dd id="count-created">301</dd>' in page.text and '<dd id="count-failed">1</dd>' in page.text
    assert "<td>302</td>" in page.text and "not a JSON object" in page.text
    assert sign_in(Browser(idp), email).url == idp.endpoint("/account")  # the bcrypt password works


def test_the_form_needs_csrf_a_file_and_an_administrator(idp, console):
    browser, _ = console
    forged = browser.http.post(idp.endpoint("/admin/users/import"), data={"format": "jsonl", "on_conflict": "skip"},
                               files={"file": ("u.jsonl", b'{"email": "forged@example.com"}\n')}, timeout=10)
    assert forged.status_code == 400 and idp.services.users.by_email("forged@example.com") is None
    page = browser.go(idp.endpoint("/admin/users/import"))
    no_file = browser.go(idp.endpoint("/admin/users/import"), "POST",
                         {**hidden_fields(page.text), "format": "jsonl", "on_conflict": "skip"})
    assert no_file.status_code == 400 and "Choose the file to import." in no_file.text
    bad = upload(browser, b'{"email": "x@example.com"}\n', format="csv")
    assert bad.status_code == 400
    assert browser.go(idp.endpoint("/admin/user-imports/nope")).status_code == 404
    outsider = Browser(idp)
    assert enter_console(outsider, idp.create_user(), None).status_code == 403
    assert outsider.go(idp.endpoint("/admin/users/import")).status_code == 403
