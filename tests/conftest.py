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
import dataclasses
import os
import re
import secrets
import socket
import tempfile
import threading
import uuid
from urllib.parse import parse_qs, urljoin, urlsplit

import psycopg
import pytest
import requests
from werkzeug.exceptions import HTTPException
from werkzeug.serving import make_server

from idp.app import create_app
from idp.config import Config
from idp.logs import configure_logging
from idp.migrate import upgrade
from idp.security import hash_password
from idp.services import build_services

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RUN_ID = uuid.uuid4().hex[:10]
PASSWORD = "correct horse battery staple"
REDIRECT_URI = "http://127.0.0.1:8080/callback"
RUN_LOG = os.path.join(tempfile.mkdtemp(prefix="idp-test-run-"), "run.log")
SECRETS_SEEN: set[str] = {PASSWORD}  # every secret, token and code of this run (>= 8 chars)
SECRET_FIELDS = {"password", "client_secret", "code", "access_token", "refresh_token", "id_token", "token",
                 "id_token_hint", "code_verifier"}


def remember_secret(*values) -> None:
    SECRETS_SEEN.update(v for v in values if isinstance(v, str) and len(v) >= 8)


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
            remember_secret(base64.b64decode(auth[6:] + "==").decode(errors="ignore").partition(":")[2])
        if response.is_json and not response.direct_passthrough:
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


def start_idp(backend: str, tmp_path_factory) -> tuple[LiveIdP, callable]:
    cleanups = []
    if backend == "postgres":
        database_url, drop = pg_database()
        cleanups.append(drop)
        redis_url, prefix = REDIS_URL, f"idptest:{RUN_ID}:"
    else:
        database_url = "sqlite:///" + str(tmp_path_factory.mktemp("embedded") / "idp.sqlite")
        redis_url, prefix = None, "idp:"
    upgrade(database_url)
    server = make_server("127.0.0.1", 0, app=None, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    config = Config(
        issuer=url,
        port=server.server_port,
        database_url=database_url,
        redis_url=redis_url,
        redis_prefix=prefix,
        session_secret=secrets.token_urlsafe(32),
        key_encryption_key=secrets.token_urlsafe(32),
        metrics_token=secrets.token_urlsafe(32),
        client_cache_ttl=0,
    )
    remember_secret(config.session_secret, config.key_encryption_key, config.metrics_token)
    services = build_services(config)
    app = create_app(services=services)
    harvest_secrets(app)
    server.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        if redis_url:
            services.store.flush_prefix()
        services.db.dispose()
        for cleanup in cleanups:
            cleanup()

    return LiveIdP(backend, url, services, app), stop


@pytest.fixture(scope="session", params=["postgres", "embedded"])
def idp(request, tmp_path_factory):
    live, stop = start_idp(request.param, tmp_path_factory)
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
