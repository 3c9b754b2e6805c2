"""Passkey test helpers: an IdP whose issuer is http://localhost:PORT (browsers refuse WebAuthn
on an IP address origin, and so does the IdP), and the steps of the passkey pages done with
the software authenticator of tests/soft_authenticator.py."""

from __future__ import annotations

import dataclasses
import os

import pytest

from .conftest import Browser, free_port, start_idp
from .flows import sign_in
from .soft_authenticator import SoftAuthenticator, page_ceremony


def start_localhost_idp(backend, tmp_path_factory, mailbox, **overrides):
    port = free_port()
    live, stop = start_idp(backend, tmp_path_factory, mailbox, database_suffix="_passkeys", port=port,
                           issuer=f"http://localhost:{port}", **overrides)
    return dataclasses.replace(live, url=f"http://localhost:{port}"), stop


_RUNNING: dict[str, list] = {}  # backend -> [live, stop, users]: one server per backend for the whole run


@pytest.fixture(scope="session", params=["postgres", "embedded"])
def pk_idp(request, tmp_path_factory, mailbox):
    """Each test module importing this fixture gets its own copy of it: they share one server
    per backend (counted, so the last one done stops it)."""
    if request.param not in _RUNNING:
        _RUNNING[request.param] = [*start_localhost_idp(request.param, tmp_path_factory, mailbox), 0]
    entry = _RUNNING[request.param]
    entry[2] += 1
    yield entry[0]
    entry[2] -= 1
    if entry[2] == 0:
        del _RUNNING[request.param]
        entry[1]()


def authenticator(idp, **kwargs) -> SoftAuthenticator:
    return SoftAuthenticator(idp.url, **kwargs)


def add_passkey(browser: Browser, device: SoftAuthenticator, name: str = "Laptop", **create):
    """From the account's passkeys page (the browser signed in moments ago); returns the page after."""
    page = browser.go(browser.idp.endpoint("/account/passkeys"))
    options, fields = page_ceremony(page.text, "passkey-add")
    fields.update(credential=device.create(options, **create), name=name)
    return browser.go(browser.idp.endpoint("/account/passkeys/add"), "POST", fields)


def user_with_passkey(idp, device: SoftAuthenticator):
    user = idp.create_user()
    browser = Browser(idp)
    sign_in(browser, user.email)
    done = add_passkey(browser, device)
    assert "Your passkey is ready" in done.text, done.text[:3000]
    return user


def passkey_sign_in(browser: Browser, device: SoftAuthenticator, start="/login", form_id="passkey-sign-in",
                    action="/login/passkey", **get):
    """The "Sign in with a passkey" button (or the second-factor / step-up one) on the page at start."""
    page = browser.go(browser.idp.endpoint(start)) if isinstance(start, str) else start
    options, fields = page_ceremony(page.text, form_id)
    fields["credential"] = device.get(options, **get)
    return browser.go(browser.idp.endpoint(action), "POST", fields), fields


def stored_passkey(idp, user_id: str, name: str = "Phone"):
    """A passkey row as a registration stores it (no ceremony: for tests that only count or remove them)."""
    return idp.services.passkeys.credentials.add(user_id, os.urandom(16), b"public key", 0, ["internal"], False,
                                                 False, "00000000-0000-0000-0000-000000000000", name)
