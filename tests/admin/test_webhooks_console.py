"""The console's Webhooks pages (issue 35): creating an endpoint shows its secret once (no-store),
bad input is a 400 page naming the problem, an endpoint's page lists deliveries with their attempts
and replays one; the same service as the admin API and the CLI."""

from __future__ import annotations

import re

from ..admin_console_flows import console, post_form  # noqa: F401
from ..conftest import hidden_fields

URL = "https://hooks.invalid/console"


def test_an_administrator_creates_an_endpoint_sees_the_secret_once_and_replays_a_delivery(idp, console):
    browser, _ = console
    page = browser.go(idp.endpoint("/admin/webhooks"))
    assert page.status_code == 200 and "user.created" in page.text
    bad = post_form(browser, "/admin/webhooks/new", page, url="https://10.1.2.3/x", event_types="client.created")
    assert bad.status_code == 400 and "private" in bad.text
    made = post_form(browser, "/admin/webhooks/new", page, url=URL, description="Console hook",
                     event_types=["client.created", "client.deleted"])
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    secret = re.search(r'<code id="webhook-secret">(whsec_[^<]+)</code>', made.text).group(1)
    endpoint_id = re.search(r"/admin/webhooks/([0-9a-f-]{36})", made.text).group(1)
    detail = browser.go(idp.endpoint(f"/admin/webhooks/{endpoint_id}"))
    assert "Console hook" in detail.text and secret not in detail.text and "No delivery yet" in detail.text
    client, _ = idp.create_client()  # through the store: no event; the admin service's delete sends one
    from idp.administration import Actor
    from idp.administration.clients import ClientAdmin

    ClientAdmin(idp.services, lambda: {}).delete(Actor.operator(), client.client_id)
    detail = browser.go(idp.endpoint(f"/admin/webhooks/{endpoint_id}"))
    delivery_id = re.search(rf"/admin/webhooks/{endpoint_id}/deliveries/(\d+)", detail.text).group(1)
    assert "client.deleted" in detail.text
    delivery = browser.go(idp.endpoint(f"/admin/webhooks/{endpoint_id}/deliveries/{delivery_id}"))
    assert delivery.status_code == 200 and "Webhook delivery" in delivery.text
    replayed = post_form(browser, f"/admin/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay", delivery)
    assert replayed.status_code == 200 and "The event was queued again." in replayed.text
    assert len(idp.services.webhooks.deliveries(endpoint_id, None, 10)) == 2
    assert browser.go(idp.endpoint(f"/admin/webhooks/{endpoint_id}/deliveries/99999999")).status_code == 404
    rotate = post_form(browser, f"/admin/webhooks/{endpoint_id}/rotate-secret", replayed)
    confirmed = browser.go(idp.endpoint(f"/admin/webhooks/{endpoint_id}/rotate-secret"), "POST",
                           {**hidden_fields(rotate.text), "confirmed": "yes"})
    assert confirmed.headers["Cache-Control"] == "no-store" and "whsec_" in confirmed.text and secret not in confirmed.text
    disabled = post_form(browser, f"/admin/webhooks/{endpoint_id}/disable", replayed)
    assert "The endpoint is disabled." in disabled.text
    ask = post_form(browser, f"/admin/webhooks/{endpoint_id}/delete", disabled)
    gone = browser.go(idp.endpoint(f"/admin/webhooks/{endpoint_id}/delete"), "POST",
                      {**hidden_fields(ask.text), "confirmed": "yes"})
    assert "The endpoint was deleted." in gone.text
    assert browser.go(idp.endpoint(f"/admin/webhooks/{endpoint_id}")).status_code == 404


def test_the_pages_need_an_administrator(idp):
    from ..conftest import Browser

    page = Browser(idp).go(idp.endpoint("/admin/webhooks"))
    assert 'name="password"' in page.text  # sent to sign in first
