"""The `idp` command: demo, serve, db, users, clients, mail, keys."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import sys

import click

from authlib.oauth2.base import OAuth2Error

from .audit import record as audit_record
from .config import Config, ConfigError


def load_config(**overrides) -> Config:
    try:
        return Config.from_env(**overrides)
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from None


def load_services(config: Config | None = None):
    from .services import build_services, with_dev_secrets

    return build_services(with_dev_secrets(config or load_config()))


@click.group()
def main():
    """OpenID Connect identity provider."""


# -- running -----------------------------------------------------------------
def run_gunicorn(config: Config, bind: str, workers: int | None = None, threads: int | None = None) -> None:
    """gunicorn with idp/gunicorn_conf.py, then what the command line says."""
    import importlib

    from gunicorn.app.base import BaseApplication

    settings = importlib.import_module("idp.gunicorn_conf")  # first: it sets up metrics and logging

    from .app import create_app

    class Server(BaseApplication):
        def load_config(self):
            for key, value in vars(settings).items():
                if key in self.cfg.settings and value is not None:
                    self.cfg.set(key, value)
            self.cfg.set("bind", bind)
            if workers:
                self.cfg.set("workers", workers)
            if threads:
                self.cfg.set("threads", threads)

        def load(self):
            return create_app(config)

    Server().run()


@main.command()
@click.option("--workers", type=int, default=None, help="gunicorn workers (default: WEB_CONCURRENCY or 2 x CPUs + 1)")
@click.option("--threads", type=int, default=2,
              help="per worker; few, because Python threads share one core's GIL (more workers scale instead)")
@click.option("--host", default="0.0.0.0", show_default=True, help="listen address (PORT is the port)")
def serve(workers, threads, host):
    """Production server (gunicorn) on PostgreSQL and Redis; refuses unsafe configuration."""
    production = os.environ.get("IDP_ENV", "production").lower() == "production"
    overrides = {} if "DB_POOL_SIZE" in os.environ else {"db_pool_size": threads + 1}  # one per thread, + /ready
    config = load_config(production=production, **overrides)
    if production:
        try:
            config.validate()
        except ConfigError as exc:
            raise click.ClickException(f"configuration: {exc}") from None
    from .services import with_dev_secrets

    config = with_dev_secrets(config)
    workers = workers or config.workers or None
    if not config.uses_redis:
        if (workers or 1) > 1:
            raise click.ClickException("REDIS_URL: the in-process store needs --workers 1")
        workers = 1
    try:
        load_services(config).keys.ensure_signing_key()
    except Exception as exc:  # a missing schema or an unreadable key: one clear line, no traceback
        raise click.ClickException(f"cannot start: {exc} (did you run `idp db upgrade`?)") from None
    run_gunicorn(config, f"{host}:{config.port}", workers, threads)


@main.command()
def demo():
    """The embedded default: SQLite + in-process store on 127.0.0.1, seeded with a demo user and client."""
    from .migrate import upgrade
    from .services import local_secret

    config = load_config(production=False)
    if config.uses_redis:
        config = dataclasses.replace(config, redis_url=None)
    upgrade(config.database_url)
    svc = load_services(config)
    password = local_secret("demo-user-password", "keys")[:20]
    user = svc.users.by_email("demo@example.com")
    if user is None:
        from .security import hash_password

        svc.users.create("demo@example.com", hash_password(password), "Demo User", email_verified=True)
    redirect_uri = "http://127.0.0.1:8080/callback"
    if svc.clients.get("demo-client") is None:
        client, secret = svc.clients.create("Demo application", [redirect_uri], client_id="demo-client")
        secret_path = os.path.join("keys", "demo-client-secret")
        fd = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secret)
    with open(os.path.join("keys", "demo-client-secret")) as handle:
        secret = handle.read().strip()
    svc.db.dispose()
    click.echo(
        f"""
  Identity provider (embedded default: SQLite + in-process store, one process only)
  issuer         {config.issuer}
  discovery      {config.issuer}/.well-known/openid-configuration
  demo user      demo@example.com / {password}
  demo client    client_id=demo-client client_secret={secret}
                 redirect_uri={redirect_uri}
  try            {config.issuer}/authorize?response_type=code&client_id=demo-client&scope=openid%20profile%20email&redirect_uri={redirect_uri}&state=xyz
"""
    )
    run_gunicorn(config, f"127.0.0.1:{config.port}", workers=1, threads=4)


# -- database ----------------------------------------------------------------
@main.group()
def db():
    """Database schema."""


@db.command("upgrade")
def db_upgrade():
    """Apply Alembic migrations to DATABASE_URL."""
    from .migrate import upgrade

    upgrade(load_config().database_url)
    click.echo("database is up to date")


# -- users -------------------------------------------------------------------
@main.group()
def users():
    """Manage users."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--password", default=None, help="prefer --password-stdin: arguments show in process lists")
@click.option("--password-stdin", is_flag=True)
@click.option("--name", default=None)
@click.option("--verified/--unverified", default=True)
def users_create(email, password, password_stdin, name, verified):
    from .security import hash_password
    from .store.repos import Conflict

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise click.UsageError("give --password-stdin or --password")
    if "@" not in email or len(email) > 320:
        raise click.UsageError("--email must be an email address")
    try:
        user = load_services().users.create(email, hash_password(password), name, email_verified=verified)
    except Conflict as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created user {user.id} <{user.email}>")


@users.command("list")
def users_list():
    for user in load_services().users.list():
        state = "disabled" if user.disabled else "active"
        click.echo(f"{user.id}  {user.email}  {user.name or ''}  {state}")


@users.command("disable")
@click.option("--email", required=True)
def users_disable(email):
    """Shut a user out now, on every replica: sign-in and token issuance refused, every browser
    session ended (relying parties told by back-channel logout), every grant's refresh and access
    tokens revoked."""
    svc = load_services()
    user = user_by_email(svc, email)
    with request_like_context(svc):
        svc.users.set_disabled(user.id, True)
        ended = svc.sessions.end_all(user.id)
        revoked = svc.tokens.revoke_user_grants(user.id)
        audit_record("user.disabled", user_id=user.id, sessions_ended=ended, grants_revoked=revoked)
    click.echo(f"disabled {user.email}: {ended} session(s) ended, {revoked} grant(s) revoked")


@users.command("enable")
@click.option("--email", required=True)
def users_enable(email):
    """Let a disabled user sign in again (their ended sessions and revoked tokens stay so)."""
    svc = load_services()
    user = user_by_email(svc, email)
    with request_like_context(svc):
        svc.users.set_disabled(user.id, False)
        audit_record("user.enabled", user_id=user.id)
    click.echo(f"enabled {user.email}")


def user_by_email(svc, email: str):
    user = svc.users.by_email(email)
    if user is None:
        raise click.ClickException(f"no user with email {email}")
    return user


@contextlib.contextmanager
def request_like_context(svc):
    """What the app gives the code a request runs (audit, back-channel logout read the services
    from the application context); on the way out, waits for logout deliveries to finish (they run
    in background threads, which would die with the command)."""
    from flask import Flask

    from .backchannel import wait_for_deliveries

    app = Flask("idp-cli")
    app.extensions["idp"] = svc
    with app.app_context():
        yield
    wait_for_deliveries(timeout=60)


# -- clients -----------------------------------------------------------------
@main.group()
def clients():
    """Manage OAuth clients (relying parties and resource servers)."""


GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials",
               "urn:ietf:params:oauth:grant-type:device_code"]
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"]


@clients.command("create")
@click.option("--name", required=True)
@click.option("--redirect-uri", "redirect_uris", multiple=True)
@click.option("--public", is_flag=True, help="no secret; PKCE required (native and browser apps)")
@click.option("--grant-type", "grant_types", multiple=True, type=click.Choice(GRANT_TYPES))
@click.option("--scope", default="openid profile email offline_access")
@click.option("--token-endpoint-auth-method", "--auth-method", "auth_method", type=click.Choice(AUTH_METHODS),
              default=None, help="default client_secret_basic (none with --public)")
@click.option("--jwks-uri", default=None, help="the client's public keys (private_key_jwt, request objects)")
@click.option("--post-logout-redirect-uri", "post_logout_redirect_uris", multiple=True)
@click.option("--backchannel-logout-uri", default=None)
@click.option("--require-par", is_flag=True, help="require_pushed_authorization_requests (RFC 9126)")
@click.option("--dpop-bound", is_flag=True, help="dpop_bound_access_tokens (RFC 9449)")
@click.option("--subject-type", type=click.Choice(["public", "pairwise"]), default=None)
@click.option("--sector-identifier-uri", default=None)
@click.option("--trusted", is_flag=True, help="first-party app: skip the consent page")
@click.option("--id-token-alg", type=click.Choice(["RS256", "ES256", "EdDSA"]), default=None,
              help="id_token_signed_response_alg (needs a live key: KEY_ALGORITHMS)")
@click.option("--json", "as_json", is_flag=True)
def clients_create(name, redirect_uris, public, grant_types, scope, auth_method, jwks_uri, post_logout_redirect_uris,
                   backchannel_logout_uri, require_par, dpop_bound, subject_type, sector_identifier_uri, trusted,
                   id_token_alg, as_json):
    """Validated like a dynamic registration (oauth/client_metadata.py), except that any scope is allowed."""
    from .oauth import client_metadata
    from .oauth.endpoints.discovery import metadata as server_metadata

    if public and auth_method not in (None, "none"):
        raise click.UsageError("--public means --token-endpoint-auth-method none")
    requested = {
        "client_name": name, "redirect_uris": list(redirect_uris), "scope": scope,
        "grant_types": list(grant_types) or (["authorization_code", "refresh_token"] if redirect_uris or public
                                             else ["client_credentials"]),
        "token_endpoint_auth_method": "none" if public else (auth_method or "client_secret_basic"),
        "jwks_uri": jwks_uri, "post_logout_redirect_uris": list(post_logout_redirect_uris) or None,
        "backchannel_logout_uri": backchannel_logout_uri, "id_token_signed_response_alg": id_token_alg,
        "require_pushed_authorization_requests": require_par or None, "dpop_bound_access_tokens": dpop_bound or None,
        "subject_type": subject_type, "sector_identifier_uri": sector_identifier_uri,
    }
    requested["response_types"] = ["code"] if "authorization_code" in requested["grant_types"] else []
    svc = load_services()
    policy = server_metadata(svc.config, svc.keys.signing_algs())
    policy.pop("scopes_supported")  # operators may give service clients their own API scopes
    try:
        validated = client_metadata.validate({k: v for k, v in requested.items() if v is not None}, policy,
                                             svc.outbound)
    except OAuth2Error as exc:
        raise click.UsageError(f"{exc.error}: {exc.description}") from None
    client, secret = svc.clients.create(**client_metadata.client_fields(validated), trusted=trusted)
    data = {"client_id": client.client_id, "client_secret": secret, "name": client.name,
            "redirect_uris": list(client.redirect_uris), "grant_types": list(client.grant_types),
            "token_endpoint_auth_method": client.token_endpoint_auth_method, "scope": client.scope}
    if as_json:
        click.echo(json.dumps(data))
        return
    click.echo(f"client_id      {client.client_id}")
    if secret:
        click.echo(f"client_secret  {secret}   (shown once: store it now)")


@clients.command("registration-token")
@click.option("--expires", default="1d", help="lifetime (900, 15m, 1d)")
@click.option("--uses", type=click.IntRange(1, 10_000), default=1, help="registrations it allows")
def clients_registration_token(expires, uses):
    """An initial access token for dynamic client registration (RFC 7591 3, REGISTRATION_MODE=token)."""
    from .config import parse_duration

    try:
        ttl = parse_duration("--expires", expires)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(load_services().initial_access_tokens.create(ttl, uses))


@clients.command("list")
def clients_list():
    for client in load_services().clients.list():
        click.echo(f"{client.client_id}  {client.name}  {client.token_endpoint_auth_method}  "
                   f"{','.join(client.grant_types)}  {' '.join(client.redirect_uris)}")


@clients.command("delete")
@click.argument("client_id")
def clients_delete(client_id):
    if not load_services().clients.delete(client_id):
        raise click.ClickException(f"no client {client_id}")
    click.echo(f"deleted {client_id}")


# -- mail --------------------------------------------------------------------
@main.group()
def mail():
    """The outbox of verification, reset and notice emails (see idp/mail.py)."""


@mail.command("status")
def mail_status():
    """Count messages by state: pending (being retried), sent, failed (given up)."""
    counts = load_services().mailer.outbox.counts()
    for state in ("pending", "sent", "failed"):
        click.echo(f"{state:8} {counts.get(state, 0)}")


@mail.command("retry")
def mail_retry():
    """Try every pending message now (after fixing SMTP_*), without waiting for its backoff."""
    svc = load_services()
    sent = svc.mailer.deliver_due(ignore_backoff=True)
    counts = svc.mailer.outbox.counts()
    click.echo(f"sent {sent}; still pending {counts.get('pending', 0)}; failed {counts.get('failed', 0)}")
    if counts.get("pending", 0):
        raise SystemExit(1)


# -- audit -------------------------------------------------------------------
@main.group()
def audit():
    """The audit trail (sign-ins, failures, consents)."""


def parse_since(value: str | None) -> dt.datetime | None:
    """An ISO date/time (UTC unless it says otherwise) or an age such as 15m, 24h, 7d."""
    if not value:
        return None
    from .config import parse_duration

    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    try:
        return now - dt.timedelta(seconds=parse_duration("--since", value))
    except ConfigError:
        pass
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("an ISO date/time (2026-01-31, 2026-01-31T08:00) or an age (15m, 24h, 7d)",
                                 param_hint="--since") from None
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


@audit.command("list")
@click.option("--since", help="ISO date/time (UTC) or an age: 15m, 24h, 7d")
@click.option("--user", help="user id or email")
@click.option("--action", help="e.g. login.failed")
@click.option("--limit", type=int, default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
def audit_list(since, user, action, limit, as_json):
    """Audit events, newest first."""
    svc = load_services()
    user_id = user
    if user and "@" in user:
        found = svc.users.by_email(user)
        if found is None:
            raise click.ClickException(f"no user {user}")
        user_id = found.id
    for entry in svc.audit_events.list(since=parse_since(since), user_id=user_id, action=action, limit=limit):
        if as_json:
            click.echo(json.dumps(entry.as_dict(), sort_keys=True))
            continue
        details = " ".join(f"{k}={v}" for k, v in sorted(entry.details.items()))
        click.echo(f"{entry.occurred_at:%Y-%m-%dT%H:%M:%S}Z  {entry.action:<16} user={entry.user_id or '-'}  "
                   f"client={entry.client_id or '-'}  ip={entry.ip or '-'}  {details}".rstrip())


# -- keys --------------------------------------------------------------------
@main.group()
def keys():
    """Signing keys: list, rotate, retire, revoke, import, export, rewrap."""


def key_manager():
    manager = load_services().keys
    try:
        manager.reload(force=True)
    except Exception as exc:  # e.g. KeyDecryptionError: one line, no traceback
        raise click.ClickException(str(exc)) from None
    return manager


def _when(value) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else "-"


@keys.command("list")
def keys_list():
    """kid, alg, state, created, promoted, retires."""
    click.echo(f"{'kid':44}  {'alg':5}  {'state':7}  {'created':16}  {'promoted':16}  retires")
    for key in key_manager().list_keys():
        click.echo(f"{key.kid:44}  {key.alg:5}  {key.state:7}  {_when(key.created_at):16}  "
                   f"{_when(key.promoted_at):16}  {_when(key.retire_until)}")


@keys.command("rotate")
@click.option("--alg", type=click.Choice(["RS256", "ES256", "EdDSA"]), default="RS256")
@click.option("--if-current", default=None, help="rotate only if this kid still signs (safe to run twice)")
@click.option("--force", is_flag=True, help="promote a next key younger than the JWKS cache lifetime")
def keys_rotate(alg, if_current, force):
    """Promote next -> current, retire current, publish a new next.

    Rotates the key that signs when the command starts: two concurrent runs rotate once."""
    manager = key_manager()
    if if_current is None:
        try:
            if_current = manager.signing_key(alg)[0]
        except RuntimeError:
            if_current = None
    from .keys import RotationTooEarly

    try:
        kid = manager.rotate(alg, expected_current=if_current, force=force)
    except RotationTooEarly as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{alg} now signs with {kid}" if kid else f"not rotated: {if_current} no longer signs")


def _end_key(kid: str, action: str) -> None:
    if not getattr(key_manager(), action)(kid):
        raise click.ClickException(f"no live key {kid}")
    click.echo(f"{action}d {kid}")


@keys.command("retire")
@click.argument("kid")
def keys_retire(kid):
    """Emergency: stop signing with KID now; keep publishing it until its tokens expire."""
    _end_key(kid, "retire")


@keys.command("revoke")
@click.argument("kid")
def keys_revoke(kid):
    """Compromise: remove KID from the JWKS at once; every token it signed stops verifying."""
    _end_key(kid, "revoke")


@keys.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def keys_import(path):
    """Import a private key (PEM or JWK file) as the next key; it signs from the next rotation."""
    with open(path, "rb") as handle:
        data = handle.read()
    if data.lstrip().startswith(b"{"):
        data = json.loads(data)
    try:
        kid = key_manager().import_private_key(data)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"imported {kid} as next")


@keys.command("export")
@click.argument("kid")
@click.option("--private", is_flag=True, help="include the private key (handle the output as a secret)")
def keys_export(kid, private):
    """Print KID as a JWK (public by default)."""
    try:
        click.echo(json.dumps(key_manager().export(kid, private=private)))
    except KeyError:
        raise click.ClickException(f"no key {kid}") from None


@keys.command("rewrap")
@click.option("--new-key-stdin", is_flag=True, required=True, help="read the new KEY_ENCRYPTION_KEY from stdin")
def keys_rewrap(new_key_stdin):
    """Re-encrypt every private key under a new KEY_ENCRYPTION_KEY (then deploy the new value)."""
    new = sys.stdin.readline().strip()
    if len(new) < 32:
        raise click.ClickException("KEY_ENCRYPTION_KEY: the new key needs at least 32 random characters")
    count = key_manager().rewrap(new)
    click.echo(f"re-encrypted {count} keys; set KEY_ENCRYPTION_KEY to the new value on every replica")


if __name__ == "__main__":
    main()
