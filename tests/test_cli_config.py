"""The admin CLI and the configuration's refusals, run as an operator would (subprocesses)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

import pytest

from idp.config import Config, ConfigError, parse_duration

IDP = [sys.executable, "-m", "idp.cli"]


def run(args, env, stdin=None):
    return subprocess.run(IDP + args, env=env, input=stdin, capture_output=True, text=True, timeout=60)


@pytest.fixture
def cli_env(tmp_path):
    env = dict(os.environ)
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/cli.sqlite", IDP_ENV="development")
    env.pop("REDIS_URL", None)
    assert run(["db", "upgrade"], env).returncode == 0
    return env


def test_users_create_from_stdin_and_list(cli_env):
    created = run(["users", "create", "--email", "Ops@Example.com", "--password-stdin", "--name", "Ops"],
                  cli_env, stdin="s3cret-password\n")
    assert created.returncode == 0, created.stderr
    listed = run(["users", "list"], cli_env)
    assert "ops@example.com" in listed.stdout
    duplicate = run(["users", "create", "--email", "ops@example.com", "--password", "another-s3cret"], cli_env)
    assert duplicate.returncode != 0 and "exists" in duplicate.stderr
    weak = run(["users", "create", "--email", "weak@example.com", "--password", "x"], cli_env)
    assert weak.returncode != 0 and "at least 12 characters" in weak.stderr  # the policy, as the admin API


def test_clients_create_prints_the_secret_once_and_stores_only_its_hash(cli_env):
    created = run(["clients", "create", "--name", "App", "--redirect-uri", "https://app.example/cb",
                   "--redirect-uri", "http://127.0.0.1:9000/cb", "--json"], cli_env)
    assert created.returncode == 0, created.stderr
    data = json.loads(created.stdout)
    assert data["client_secret"] and data["token_endpoint_auth_method"] == "client_secret_basic"
    listed = run(["clients", "list"], cli_env).stdout
    assert data["client_id"] in listed and data["client_secret"] not in listed
    import sqlite3

    db_path = cli_env["DATABASE_URL"].removeprefix("sqlite:///")
    dump = "\n".join(sqlite3.connect(db_path).iterdump())
    assert data["client_secret"] not in dump


def test_clients_create_refuses_unsafe_redirect_uris(cli_env):
    for uri in ("http://app.example/cb", "https://app.example/cb#frag", "/relative"):
        result = run(["clients", "create", "--name", "Bad", "--redirect-uri", uri], cli_env)
        assert result.returncode != 0, uri


def test_public_client_has_no_secret(cli_env):
    data = json.loads(run(["clients", "create", "--name", "SPA", "--public", "--redirect-uri",
                           "http://localhost:5173/cb", "--json"], cli_env).stdout)
    assert data["client_secret"] is None and data["token_endpoint_auth_method"] == "none"


def test_serve_refuses_weak_secrets_in_production_with_one_line_naming_the_variable(tmp_path):
    env = dict(os.environ)
    env.update(IDP_ENV="production", ISSUER="https://id.example.com", DATABASE_URL="postgresql://x@127.0.0.1/x",
               REDIS_URL="redis://127.0.0.1:6379/0", SESSION_SECRET="short", KEY_ENCRYPTION_KEY=secrets.token_urlsafe(32))
    result = run(["serve"], env)
    assert result.returncode != 0
    lines = [line for line in result.stderr.strip().splitlines() if line]
    assert len(lines) == 1 and "SESSION_SECRET" in lines[0], result.stderr


@pytest.mark.parametrize("override, variable", [
    ({"ISSUER": "http://id.example.com"}, "ISSUER"),
    ({"KEY_ENCRYPTION_KEY": ""}, "KEY_ENCRYPTION_KEY"),
    ({"REDIS_URL": ""}, "REDIS_URL"),
    ({"DATABASE_URL": "sqlite:///x.db"}, "DATABASE_URL"),
    ({"JWT_ACCESS_EXPIRES": "soon"}, "JWT_ACCESS_EXPIRES"),
    ({"MAX_LOGIN_ATTEMPTS": "many"}, "MAX_LOGIN_ATTEMPTS"),
])
def test_production_config_refusals_name_the_variable(override, variable):
    env = {"IDP_ENV": "production", "ISSUER": "https://id.example.com", "DATABASE_URL": "postgresql://h/db",
           "REDIS_URL": "redis://h", "SESSION_SECRET": secrets.token_urlsafe(32), "KEY_ENCRYPTION_KEY": secrets.token_urlsafe(32)}
    Config.from_env(env)  # the baseline is valid
    env.update(override)
    with pytest.raises(ConfigError, match=variable):
        Config.from_env(env)


def test_durations_read_like_the_previous_service():
    assert parse_duration("JWT_ACCESS_EXPIRES", "15m") == 900
    assert parse_duration("JWT_REFRESH_EXPIRES", "7d") == 604800
    assert parse_duration("X", "3600") == 3600
    config = Config.from_env({})
    assert (config.access_token_ttl, config.refresh_token_ttl, config.max_login_attempts) == (900, 604800, 5)
    assert config.account_lock_time_ms == 900000


def test_wrong_key_encryption_key_is_a_clear_error_at_start(tmp_path):
    from idp.plumbing.encryption import KeyDecryptionError
    from idp.services import build_services
    from idp.store.migrate import upgrade

    url = f"sqlite:///{tmp_path}/k.sqlite"
    upgrade(url)
    first = build_services(Config(database_url=url, key_encryption_key="a" * 40, session_secret="s" * 40))
    first.keys.ensure_signing_key()
    second = build_services(Config(database_url=url, key_encryption_key="b" * 40, session_secret="s" * 40))
    with pytest.raises(KeyDecryptionError, match="KEY_ENCRYPTION_KEY"):
        second.keys.ensure_signing_key()


def test_clients_create_takes_the_metadata_of_every_flow(cli_env):
    created = run(["clients", "create", "--name", "Full", "--redirect-uri", "https://app.example/cb",
                   "--grant-type", "authorization_code", "--grant-type", "urn:ietf:params:oauth:grant-type:device_code",
                   "--token-endpoint-auth-method", "private_key_jwt", "--jwks-uri", "https://app.example/jwks",
                   "--post-logout-redirect-uri", "https://app.example/bye",
                   "--backchannel-logout-uri", "https://app.example/backchannel", "--require-par", "--dpop-bound",
                   "--require-signed-request-object", "--subject-type", "pairwise", "--json"], cli_env)
    assert created.returncode == 0, created.stderr
    data = json.loads(created.stdout)
    assert data["client_secret"] is None and data["token_endpoint_auth_method"] == "private_key_jwt"
    assert "urn:ietf:params:oauth:grant-type:device_code" in data["grant_types"]
    from idp.store.clients import Clients
    from idp.store.db import Database

    database = Database(cli_env["DATABASE_URL"])
    meta = Clients(database, 0).get(data["client_id"]).client_metadata
    database.dispose()
    assert meta["jwks_uri"] == "https://app.example/jwks" and meta["post_logout_redirect_uris"] == ["https://app.example/bye"]
    assert meta["backchannel_logout_uri"] == "https://app.example/backchannel"
    assert meta["require_pushed_authorization_requests"] is True and meta["dpop_bound_access_tokens"] is True
    assert meta["subject_type"] == "pairwise" and meta["require_signed_request_object"] is True


@pytest.mark.parametrize("args", [
    ["--token-endpoint-auth-method", "private_key_jwt"],  # no keys
    ["--backchannel-logout-uri", "http://app.example/logout"],  # http off loopback
    ["--post-logout-redirect-uri", "https://app.example/bye#x"],
    ["--public", "--grant-type", "client_credentials"],
])
def test_clients_create_refuses_inconsistent_metadata(cli_env, args):
    result = run(["clients", "create", "--name", "Bad", "--redirect-uri", "https://app.example/cb", *args], cli_env)
    assert result.returncode != 0 and "Error" in result.stderr, result.stdout
