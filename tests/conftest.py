"""Live IdP servers for the tests: one on real PostgreSQL + Redis (an isolated database
and key prefix per run), one on the embedded default (SQLite + in-process store).

Every test that takes `idp` runs against both.
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
import threading
import uuid
from urllib.parse import parse_qs, urljoin, urlsplit

import psycopg
import pytest
import requests
from werkzeug.serving import make_server

from idp.app import create_app
from idp.config import Config
from idp.migrate import upgrade
from idp.security import hash_password
from idp.services import build_services

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RUN_ID = uuid.uuid4().hex[:10]
PASSWORD = "correct horse battery staple"
REDIRECT_URI = "http://127.0.0.1:8080/callback"


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
        return self.services.clients.create(**kwargs)


def _pg_database():
    name = f"idp_test_{RUN_ID}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name

    def drop():
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url, drop


def serve(config_for_port) -> tuple[LiveIdP, callable]:
    """Start a live server on a free port; config_for_port(port) gives its config."""
    server = make_server("127.0.0.1", 0, app=None, threaded=True)
    config = config_for_port(server.server_port)
    services = build_services(config)
    app = create_app(services=services)
    server.app = app
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop():
        server.shutdown()
        services.db.dispose()

    backend = "postgres" if config.redis_url else "embedded"
    return LiveIdP(backend, f"http://127.0.0.1:{server.server_port}", services, app), stop


def start_idp(backend: str, tmp_path_factory, **overrides) -> tuple[LiveIdP, callable]:
    cleanups = []
    if backend == "postgres":
        database_url, drop = _pg_database()
        cleanups.append(drop)
        redis_url, prefix = REDIS_URL, f"idptest:{RUN_ID}:{uuid.uuid4().hex[:6]}:"
    else:
        database_url = "sqlite:///" + str(tmp_path_factory.mktemp("embedded") / "idp.sqlite")
        redis_url, prefix = None, "idp:"
    upgrade(database_url)
    secrets_ = dict(session_secret=secrets.token_urlsafe(32), key_encryption_key=secrets.token_urlsafe(32))

    def config_for_port(port):
        values = dict(issuer=f"http://127.0.0.1:{port}", port=port, database_url=database_url,
                      redis_url=redis_url, redis_prefix=prefix, client_cache_ttl=0, key_cache_seconds=1.0,
                      outbound_allowed_hosts=("127.0.0.1",),
                      **secrets_)
        values.update(overrides)
        return Config(**values)

    live, stop_server = serve(config_for_port)

    def stop():
        stop_server()
        if redis_url:
            live.services.store.flush_prefix()
        for cleanup in cleanups:
            cleanup()

    return live, stop


def start_replica(live: LiveIdP) -> tuple[LiveIdP, callable]:
    """A second instance on the same database and Redis, behind the same issuer (as replicas are)."""
    return serve(lambda port: dataclasses.replace(live.services.config, port=port))


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
