"""The developer's first hour on the embedded default (issue 34), in the pages: the development
mailbox (mail printed on the console and listed at /dev/mailbox, only on the embedded default
without SMTP), and an account page that offers only what this server has turned on."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

import pytest
import requests

from idp.accounts.dev_mailbox import DevMailbox, DevMessage
from idp.config import Config
from idp.store.account_repos import OutgoingMail

from ..conftest import Browser, free_port, serve, start_idp
from ..flows import sign_in, submit
from ..passkey_flows import pk_idp  # noqa: F401  (the fixture: an IdP whose issuer is http://localhost:PORT)


@pytest.fixture(scope="module")
def dev_idp(tmp_path_factory):
    """The embedded default with no SMTP_HOST: the development mailbox is installed."""
    live, stop = start_idp("embedded", tmp_path_factory)
    assert isinstance(live.services.mailer.transport, DevMailbox)
    yield live
    stop()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def wait_for_mail(live, recipient: str) -> DevMessage:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [m for m in live.services.mailer.transport.messages() if m.recipient == recipient]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no mail to {recipient}")


def test_mail_is_printed_and_listed_newest_first_and_its_link_works_in_a_browser(dev_idp, page, capsys, screenshot):
    first, second = dev_idp.create_user(), dev_idp.create_user()
    submit(Browser(dev_idp), "/forgot-password", email=first.email)
    reset = wait_for_mail(dev_idp, first.email)
    submit(Browser(dev_idp), "/forgot-password", email=second.email)
    wait_for_mail(dev_idp, second.email)
    printed = capsys.readouterr().out
    assert f"mail to {first.email}" in printed and reset.links()[0] in printed  # the link, on the console
    assert reset.links()[0].startswith(dev_idp.url + "/reset-password?token=")
    assert dev_idp.services.mailer.outbox.get(reset.id).status == "sent"  # delivered: nothing waits or retries

    page.goto(dev_idp.endpoint("/dev/mailbox"))
    screenshot(page, "first-day-dev-mailbox")
    listed = page.locator(".mail-list li").all_inner_texts()
    assert second.email in listed[0] and any(first.email in item for item in listed[1:])  # newest first
    page.locator(".mail-list li", has_text=first.email).first.get_by_role("link").click()
    assert page.locator(".mail-body").inner_text().count("/reset-password?token=") == 1
    hrefs = page.locator(".mail-body a").evaluate_all("links => links.map(a => a.href)")
    assert hrefs == reset.links()
    page.locator(".mail-body a").first.click()
    page.wait_for_url(dev_idp.endpoint("/reset-password") + "*")
    assert page.get_by_label("New password").count() == 1
    assert requests.get(dev_idp.endpoint("/dev/mailbox"), timeout=5).headers["Cache-Control"] == "no-store"


def test_only_http_and_https_links_are_clickable_and_nothing_is_markup(dev_idp, page):
    """A body is text: an http(s) URL (parsed strictly, idp/plumbing/web_urls.py) becomes a link,
    anything else (javascript:, data:, markup) stays text."""
    body = ("go https://ok.example/reset?token=abc. or javascript:alert(1) or data:text/html,<script>x</script>\n"
            "<a href=\"javascript:alert(2)\">click</a> http://bad_host/x https://ok.example/x\"onmouseover=alert(3)")
    dev_idp.services.mailer.transport(OutgoingMail("dev-test-1", "xss@example.com", "<b>bold</b>", body, 0,
                                                   dt.datetime(2030, 1, 1)))
    message = dev_idp.services.mailer.transport.get("dev-test-1")
    assert message.links() == ["https://ok.example/reset?token=abc", "https://ok.example/x"]
    assert "".join(text for text, _ in message.parts()) == body  # nothing lost
    page.goto(dev_idp.endpoint("/dev/mailbox/dev-test-1"))
    assert page.locator("b").count() == 0 and page.locator(".mail-subject").inner_text() == "<b>bold</b>"
    hrefs = page.locator("main a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert [h for h in hrefs if not h.startswith("/")] == ["https://ok.example/reset?token=abc", "https://ok.example/x"]
    assert requests.get(dev_idp.endpoint("/dev/mailbox/no-such-message"), timeout=5).status_code == 404


def test_the_dev_mailbox_exists_only_on_the_embedded_default_without_smtp(idp, dev_idp):
    """With SMTP configured (the session's servers, both backends) and in production: a 404."""
    for path in ("/dev/mailbox", "/dev/mailbox/dev-test-1"):
        assert requests.get(idp.endpoint(path), timeout=5).status_code == 404
    production, stop = serve(dataclasses.replace(dev_idp.services.config, port=free_port(), production=True))
    try:
        assert not isinstance(production.services.mailer.transport, DevMailbox)
        assert requests.get(production.endpoint("/dev/mailbox"), timeout=5).status_code == 404
    finally:
        stop()
    assert Config(smtp_host="").dev_mailbox
    assert not Config(smtp_host="smtp.example.com").dev_mailbox
    assert not Config(production=True).dev_mailbox
    assert not Config(redis_url="redis://127.0.0.1:6379/0").dev_mailbox  # several processes: no one mailbox


def account_page(live) -> str:
    user = live.create_user()
    browser = Browser(live)
    sign_in(browser, user.email)
    page = browser.go(live.endpoint("/account"))
    assert page.status_code == 200 and user.email in page.text
    return page.text


def test_the_account_page_offers_passkeys_only_where_the_server_has_them_on(idp, pk_idp):
    """WebAuthn needs a host name as RP ID (W3C WebAuthn 2 5.1.3 / 13.4.9): on an IP-address issuer
    passkeys are off, and the account page does not offer them; on localhost it does."""
    assert not idp.services.passkeys.enabled and pk_idp.services.passkeys.enabled
    assert "/account/passkeys" not in account_page(idp)
    assert "/account/passkeys" in account_page(pk_idp)


def test_the_account_page_offers_no_linked_accounts_without_upstream_providers(idp):
    assert not idp.services.connectors
    text = account_page(idp)
    assert "Linked accounts" not in text and "/account/unlink" not in text
    assert "/account/mfa" in text  # TOTP has no off switch: always offered
