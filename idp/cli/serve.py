"""Running the IdP: `idp serve` (production: granian by default, gunicorn on request) and `idp demo`
(the embedded default)."""

from __future__ import annotations

import dataclasses
import os
import sys

import click

from idp.cli.common import (
    load_config,
    load_services,
    require_database,
)
from idp.config import Config, ConfigError
from idp.plumbing.writable import make_dir


def run_gunicorn(config: Config, bind: str, workers: int | None = None, threads: int | None = None) -> None:
    """gunicorn with idp/gunicorn_conf.py, then what the command line says."""
    import importlib

    from gunicorn.app.base import BaseApplication

    settings = importlib.import_module("idp.gunicorn_conf")  # first: it sets up metrics and logging

    from idp.app import create_app

    class Server(BaseApplication):
        def load_config(self):
            for key, value in vars(settings).items():
                if key in self.cfg.settings and value is not None:
                    self.cfg.set(key, value)
            self.cfg.set("bind", bind)
            self.cfg.set("forwarded_allow_ips", settings.forwarded_ips(config.trusted_proxies))  # as the app's
            if workers:
                self.cfg.set("workers", workers)
            if threads:
                self.cfg.set("threads", threads)

        def load(self):
            return create_app(config)

    Server().run()


SERVERS = ("granian", "gunicorn")
THREADS = {"granian": 4, "gunicorn": 2}  # per worker: what measured best on one core (bench/README.md)


def run_server(server: str, config: Config, host: str, workers: int | None, threads: int) -> None:
    if server == "gunicorn":
        run_gunicorn(config, f"{host}:{config.port}", workers, threads)
        return
    from idp.cli.granian_server import run_granian
    from idp.gunicorn_conf import available_cpus

    run_granian(config, host, workers or 2 * available_cpus() + 1, threads)


@click.command()
@click.option("--workers", type=int, default=None, help="worker processes (default: WEB_CONCURRENCY or 2 x CPUs + 1)")
@click.option("--threads", type=int, default=None,
              help="per worker (default: granian 4, gunicorn 2); few, because Python threads share one core's "
                   "GIL (more workers scale instead)")
@click.option("--host", default=None, help="listen address (default HOST, else 127.0.0.1; PORT is the port)")
@click.option("--server", type=click.Choice(SERVERS), envvar="IDP_SERVER", default="granian", show_default=True,
              help="the HTTP server (env IDP_SERVER)")
def serve(workers, threads, host, server):
    """Production server on PostgreSQL and Redis; refuses unsafe configuration."""
    production = os.environ.get("IDP_ENV", "production").lower() == "production"
    threads = threads or THREADS[server]
    overrides = {} if "DB_POOL_SIZE" in os.environ else {"db_pool_size": threads + 1}  # one per thread, + /ready
    config = load_config(production=production, **overrides)
    if production:
        try:
            config.validate()
        except ConfigError as exc:
            raise click.ClickException(f"configuration: {exc}") from None
    from idp.services import with_dev_secrets

    # The preStop hook writes DRAIN_FILE, /ready reads it: its directory must exist.
    make_dir("DRAIN_FILE", os.path.dirname(os.path.abspath(config.drain_file)))
    require_database(config)  # before with_dev_secrets, which would make keys/ here
    config = with_dev_secrets(config)
    workers = workers or config.workers or None
    if not config.uses_redis:
        if (workers or 1) > 1:
            raise click.ClickException("REDIS_URL: the in-process store needs --workers 1")
        workers = 1
    try:
        services = load_services(config)
        services.keys.ensure_signing_key()
        services.db.dispose()  # the workers open their own connections; none is shared across a fork
    except Exception as exc:  # a missing schema or an unreadable key: one clear line, no traceback
        raise click.ClickException(f"cannot start: {exc} (did you run `idp db upgrade`?)") from None
    run_server(server, config, host or config.host, workers, threads)


def this_command() -> str:
    """How the developer ran `idp` (`.venv/bin/idp` in README's first block), to print commands they can paste."""
    invoked = sys.argv[0] if sys.argv else ""
    if os.path.basename(invoked) != "idp":
        return "idp"
    relative = os.path.relpath(invoked)
    return relative if not relative.startswith("..") else invoked


def first_day_lines(config: Config) -> str:
    """The banner's lines on where mail goes and how to become an administrator (issue 34)."""
    lines = [f"  admin console  {config.issuer}/admin  (the demo user is not an administrator; make it one with:",
             f"                 {this_command()} admins grant --email demo@example.com   (/admin then asks for a second factor))"]
    if config.dev_mailbox:
        lines.append(f"  mail           {config.issuer}/dev/mailbox  (no SMTP_HOST: mail is printed here and kept there)")
    return "\n".join(lines) + "\n"


def in_project_folder() -> bool:
    """The current folder is the source checkout this `idp` runs from (README's first block)."""
    from idp.store.migrate import ROOT

    return os.path.exists(os.path.join(ROOT, "pyproject.toml")) and os.path.samefile(os.getcwd(), ROOT)


@click.command()
@click.option("--here", is_flag=True, help="start a new embedded default in this folder (data/ and keys/)")
def demo(here):
    """The embedded default: SQLite + in-process store at http://localhost:PORT (listening on 127.0.0.1), seeded
    with a demo user and client.

    Makes its database (data/idp.sqlite) and keys (keys/) in the project's folder, where DATABASE_URL
    says, or with --here in the current folder; anywhere else it refuses and creates nothing."""
    from idp.services import local_secret
    from idp.store.migrate import upgrade

    config = load_config(production=False)
    if config.uses_redis:
        config = dataclasses.replace(config, redis_url=None)
    require_database(config, may_create=here or in_project_folder() or "DATABASE_URL" in os.environ)
    upgrade(config.database_url)
    svc = load_services(config)
    password = local_secret("demo-user-password", "keys")[:20]
    user = svc.users.by_email("demo@example.com")
    if user is None:
        from idp.plumbing.security import hash_password

        svc.users.create("demo@example.com", hash_password(password), "Demo User", email_verified=True)
    from idp.config.demo import CALLBACK_PATH, CLIENT_ID, DemoTry

    redirect_uri = config.issuer + CALLBACK_PATH  # the demo's own callback page (idp/web/demo_callback.py)
    existing = svc.clients.get(CLIENT_ID, fresh=True)
    if existing is None:
        client, secret = svc.clients.create("Demo application", [redirect_uri], client_id=CLIENT_ID)
        secret_path = os.path.join("keys", "demo-client-secret")
        fd = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secret)
    elif list(existing.redirect_uris) != [redirect_uri]:  # an older data directory, or another ISSUER/PORT
        svc.clients.update(CLIENT_ID, redirect_uris=[redirect_uri])
    with open(os.path.join("keys", "demo-client-secret")) as handle:
        secret = handle.read().strip()
    svc.db.dispose()
    try_flow = DemoTry.new(config.issuer, secret)  # PKCE verifier, state and nonce: kept by this server only
    config = dataclasses.replace(config, demo=try_flow)
    click.echo(
        f"""
  Identity provider (embedded default: SQLite + in-process store, one process only)
  issuer         {config.issuer}
  discovery      {config.issuer}/.well-known/openid-configuration
  demo user      demo@example.com / {password}
  demo client    client_id={CLIENT_ID} client_secret={secret}
                 redirect_uri={redirect_uri}
  try            {try_flow.authorize_url(config.issuer)}
                 (PKCE S256 and a nonce; the callback page redeems the code and shows the ID token)
{first_day_lines(config)}"""
    )
    server = os.environ.get("IDP_SERVER", "granian")
    if server not in SERVERS:
        raise click.ClickException(f"IDP_SERVER: one of {', '.join(SERVERS)}, not {server!r}")
    run_server(server, config, "127.0.0.1", workers=1, threads=THREADS[server])
