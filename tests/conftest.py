"""Live IdP servers for the tests: one on real PostgreSQL + Redis (an isolated database
and key prefix per run), one on the embedded default (SQLite + in-process store).

Every test that takes `idp` runs against both.

The whole run's logs (this process's, configured as in production, and those of the
server subprocesses the tests start) go to one file, and every secret the servers saw
or issued is remembered: tests/test_zz_run_log.py, ordered last, checks that the file
holds none of them.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import email
import email.policy
import os
import re
import secrets
import shutil
import socket
import tempfile
import threading
import time
import uuid
from urllib.parse import parse_qs, urljoin, urlsplit

import psycopg
import pytest
import requests
from werkzeug.exceptions import HTTPException
from werkzeug.serving import make_server

from idp.app import create_app
from idp.config import Config
from idp.observability.logs import configure_logging
from idp.plumbing.security import hash_password
from idp.services import build_services
from idp.store.migrate import upgrade

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RUN_ID = uuid.uuid4().hex[:10]
PASSWORD = "correct horse battery staple"
REDIRECT_URI = "http://127.0.0.1:8080/callback"
LOCK_TIME_MS = 5000  # a short ACCOUNT_LOCK_TIME_MS the lockout tests wait out (long enough for 5 slow failures)
RUN_LOG = os.path.join(tempfile.mkdtemp(prefix="idp-test-run-"), "run.log")
SECRETS_SEEN: set[str] = {PASSWORD}  # every secret, token and code of this run (>= 8 chars)
SECRET_FIELDS = {"password", "client_secret", "code", "access_token", "refresh_token", "id_token", "token",
                 "id_token_hint", "code_verifier", "secret"}


def remember_secret(*values) -> None:
    """Common passwords the tests submit on purpose (to see them refused) are words, not secrets:
    "password" appearing in a log line is not a leak."""
    from idp.accounts.passwords import common_passwords

    # A value of one repeated character ("x" * 43, a placeholder verifier) is test data, not a secret;
    # so is a hostile value of the fuzz pass (tests/security/fuzz.py marks each with "fzq"), which may
    # rightly be logged as the junk it is when it lands in another field.
    SECRETS_SEEN.update(v for v in values if isinstance(v, str) and len(v) >= 8 and len(set(v)) > 3
                        and "fzq" not in v and v not in common_passwords())


def append_to_run_log(text: str) -> None:
    """What a server subprocess printed joins the run's log, for the final secrets scan."""
    with open(RUN_LOG, "a") as handle:
        handle.write(text)


def pytest_configure(config):
    configure_logging("INFO", stream=open(RUN_LOG, "a", buffering=1))


def pytest_collection_modifyitems(items):
    """The run-log scan goes last, after every other test has logged what it does."""
    items.sort(key=lambda item: item.nodeid.startswith("tests/test_zz_run_log.py"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """A real SMTP server (aiosmtpd) in this process; tests read what the IdP sent."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self._cond = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._cond:
            self.messages.append(message)
            self._cond.notify_all()
        return "250 OK"

    def wait_for(self, to: str, subject: str = "", timeout: float = 10.0) -> email.message.EmailMessage:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for message in self.messages:
                    if message["To"] == to and subject.lower() in str(message["Subject"]).lower():
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    subjects = [m["Subject"] for m in self.messages]
                    raise AssertionError(f"no mail to {to} about {subject!r}; got {subjects}")
                self._cond.wait(left)

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self._cond:
            return [m for m in self.messages if m["To"] == address]


def mail_link(message, path: str) -> str:
    """The first link in a message's body whose path starts with path."""
    body = message.get_content()
    match = re.search(r"https?://\S+" + re.escape(path) + r"\S*", body)
    assert match, body
    return match.group(0)


@pytest.fixture(scope="session")
def mailbox():
    from aiosmtpd.controller import Controller

    box = Mailbox()
    box.port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()
def harvest_secrets(app) -> None:
    """Test-only: remember the secrets each request carried and each response issued."""
    from flask import request

    @app.after_request
    def _harvest(response):
        try:
            remember_secret(*(v for k, v in request.values.items() if k in SECRET_FIELDS))
        except HTTPException:  # the body the app refused (413) is not read here either
            pass
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            remember_secret(auth[7:])
        elif auth.startswith("Basic "):
            with contextlib.suppress(ValueError):  # not base64 (binascii.Error): a hostile header, no secret
                remember_secret(base64.b64decode(auth[6:] + "==").decode(errors="ignore").partition(":")[2])
        # problem+json's `code` names the kind of error (RFC 9457 extension member), not an OAuth code.
        if response.is_json and not response.direct_passthrough and response.mimetype != "application/problem+json":
            body = response.get_json(silent=True)
            if isinstance(body, dict):
                remember_secret(*(v for k, v in body.items() if k in SECRET_FIELDS))
        location = response.headers.get("Location", "")
        remember_secret(*(v[0] for k, v in parse_qs(urlsplit(location).query).items() if k in SECRET_FIELDS))
        return response


@dataclasses.dataclass
class LiveIdP:
    backend: str
    url: str
    services: object
    app: object

    def endpoint(self, path: str) -> str:
        return self.url + path

    def cli_env(self) -> dict:
        """The environment an operator's `idp` command needs to act on this server's data."""
        config = self.services.config
        env = {**os.environ, "DATABASE_URL": config.database_url, "ISSUER": config.issuer, "IDP_ENV": "development",
               "SESSION_SECRET": config.session_secret, "KEY_ENCRYPTION_KEY": config.key_encryption_key}
        env.pop("REDIS_URL", None)
        if config.redis_url:
            env.update(REDIS_URL=config.redis_url, REDIS_KEY_PREFIX=config.redis_prefix)
        return env

    def create_user(self, email=None, password=PASSWORD, name="Ada Lovelace"):
        email = email or f"user-{uuid.uuid4().hex[:8]}@example.com"
        return self.services.users.create(email, hash_password(password), name, email_verified=True)

    def create_client(self, **kwargs):
        kwargs.setdefault("redirect_uris", [REDIRECT_URI])
        kwargs.setdefault("name", "Test RP")
        client, secret = self.services.clients.create(**kwargs)
        remember_secret(secret)
        return client, secret

    def scrape(self) -> str:
        """This server's /metrics, with its bearer token."""
        token = self.services.config.metrics_token
        response = requests.get(self.url + "/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert response.status_code == 200, response.text
        return response.text


def pg_database(suffix: str = ""):
    name = f"idp_test_{RUN_ID}{suffix}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name

    def drop():
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url, drop


def start_idp(backend: str, tmp_path_factory, mailbox: Mailbox | None = None, database_suffix: str = "",
              **overrides) -> tuple[LiveIdP, callable]:
    """database_suffix: a second PostgreSQL-backed IdP in the same run needs a database of its own."""
    cleanups = []
    if backend == "postgres":
        # Each IdP its own database, whatever else is alive: pytest may keep the session's PostgreSQL
        # IdP up while a module starts its own (the order of a parametrized session fixture's groups).
        database_url, drop = pg_database(f"{database_suffix}_{uuid.uuid4().hex[:6]}")
        cleanups.append(drop)
        redis_url, prefix = REDIS_URL, f"idptest:{RUN_ID}:{uuid.uuid4().hex[:6]}:"
    else:
        database_url = "sqlite:///" + str(tmp_path_factory.mktemp("embedded") / "idp.sqlite")
        redis_url, prefix = None, "idp:"
    upgrade(database_url)
    port = free_port()
    settings = dict(
        issuer=f"http://127.0.0.1:{port}",
        port=port,
        database_url=database_url,
        redis_url=redis_url,
        redis_prefix=prefix,
        session_secret=secrets.token_urlsafe(32),
        key_encryption_key=secrets.token_urlsafe(32),
        metrics_token=secrets.token_urlsafe(32),
        client_cache_ttl=0,
        key_cache_seconds=1.0,
        outbound_allowed_hosts=("127.0.0.1",),
        account_lock_time_ms=LOCK_TIME_MS,
        rate_limit_max_requests=100_000,  # the rate-limit tests start their own instances with a small budget
        authorize_rate_limit=100_000,
        # Set explicitly (no proxy is trusted by default): the live servers play "behind a proxy on
        # loopback" for tests/test_proxy.py and tests/test_token_budget.py.
        trusted_proxies=("127.0.0.1/32", "::1/128"),
        smtp_host="127.0.0.1" if mailbox else "",
        smtp_port=mailbox_port(mailbox),
        smtp_timeout=2.0,
        email_from="idp@example.com",
    )
    settings.update(overrides)
    config = Config(**settings)
    config.validate()
    live, stop_server = serve(config)

    def stop():
        stop_server()
        if redis_url:
            live.services.store.flush_prefix()
        for cleanup in cleanups:
            cleanup()

    return live, stop


def serve(config: Config) -> tuple[LiveIdP, callable]:
    """One app instance (a replica) on its own port, over the config's database and Redis prefix."""
    server = make_server("127.0.0.1", config.port, app=None, threaded=True)
    remember_secret(config.session_secret, config.key_encryption_key, config.metrics_token)
    services = build_services(config)
    app = create_app(services=services)
    harvest_secrets(app)
    server.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        if services.webhook_worker is not None:  # its sweeps would otherwise go on against a dropped database
            services.webhook_worker.stop()
        services.db.dispose()

    return LiveIdP("postgres" if config.redis_url else "embedded", f"http://127.0.0.1:{server.server_port}",
                   services, server.app), stop


def start_replica(live: LiveIdP) -> tuple[LiveIdP, callable]:
    """A second instance of a running IdP: same issuer, database, Redis and secrets; another port."""
    return serve(dataclasses.replace(live.services.config, port=free_port()))


def mailbox_port(mailbox: Mailbox | None) -> int:
    return mailbox.port if mailbox else 587


@pytest.fixture(scope="session", params=["postgres", "embedded"])
def idp(request, tmp_path_factory, mailbox):
    live, stop = start_idp(request.param, tmp_path_factory, mailbox)
    yield live
    stop()


@pytest.fixture
def user(idp):
    return idp.create_user()


@pytest.fixture
def client(idp):
    client, secret = idp.create_client()
    return dataclasses.replace(client, client_metadata={"secret": secret})


@pytest.fixture
def public_client(idp):
    client, _ = idp.create_client(public=True, name="Public RP")
    return client


# -- browsing helpers --------------------------------------------------------
def hidden_fields(html: str) -> dict:
    fields = {}
    for match in re.finditer(r"<input[^>]*>", html):
        tag = match.group(0)
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="hidden"' in tag:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


class Browser:
    """A user agent that follows the IdP's redirects and stops at the relying party's."""

    def __init__(self, idp: LiveIdP):
        self.idp = idp
        self.http = requests.Session()

    def go(self, url: str, method="GET", data=None) -> requests.Response:
        response = self.http.request(method, url, data=data, allow_redirects=False, timeout=10)
        while response.status_code in (301, 302, 303) and self._is_idp(urljoin(url, response.headers["Location"])):
            url = urljoin(url, response.headers["Location"])
            response = self.http.get(url, allow_redirects=False, timeout=10)
        response.final_url = url
        return response

    def _is_idp(self, url: str) -> bool:
        return url.startswith(self.idp.url + "/")

    def login(self, page: requests.Response, email: str, password: str = PASSWORD) -> requests.Response:
        assert 'name="password"' in page.text, page.text[:500]
        fields = hidden_fields(page.text)
        fields.update(email=email, password=password)
        return self.go(self.idp.endpoint("/login"), "POST", fields)

    def consent(self, page: requests.Response, allow: bool = True) -> requests.Response:
        assert "would like to" in page.text, page.text[:500]
        fields = hidden_fields(page.text)
        fields["allow" if allow else "deny"] = "1"
        return self.go(self.idp.endpoint("/consent"), "POST", fields)

    def authorize(self, url: str, email: str, password: str = PASSWORD, allow: bool = True) -> requests.Response:
        """Log in and consent as needed; returns the redirect to the relying party."""
        response = self.go(url)
        if 'name="password"' in response.text:
            response = self.login(response, email, password)
        if "would like to" in response.text:
            response = self.consent(response, allow)
        return response


def callback_params(response: requests.Response) -> dict:
    assert response.status_code == 302, (response.status_code, response.text[:500])
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@pytest.fixture
def browser(idp):
    return Browser(idp)


# -- a real browser ------------------------------------------------------------
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTEFACTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "test-artefacts")


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (Playwright's own browser download cannot work here)."""
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def screenshot():
    """Save a full-page screenshot as test-artefacts/screenshots/<name>.png (git-ignored), to look at."""
    folder = os.path.join(ARTEFACTS, "screenshots")
    os.makedirs(folder, exist_ok=True)

    def take(page, name: str) -> str:
        path = os.path.join(folder, f"{name}.png")
        page.screenshot(path=path, full_page=True)
        return path

    return take
