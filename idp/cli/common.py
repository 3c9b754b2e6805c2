"""What every `idp` command needs: the configuration, the services, an app context."""

from __future__ import annotations

import contextlib
import os

import click

from idp.config import Config, ConfigError


def load_config(**overrides) -> Config:
    try:
        return Config.from_env(**overrides)
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from None


def seconds_option(name: str, text: str) -> int:
    """A duration option (0, 900, 15m, 1h, 7d) in seconds; a usage error when it is not one."""
    from idp.config import parse_duration

    try:
        return 0 if text.strip() == "0" else int(parse_duration(name, text))
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


def load_services(config: Config | None = None):
    from idp.services import build_services, with_dev_secrets

    config = config or load_config()
    require_database(config)  # before with_dev_secrets, which would make keys/ here
    return build_services(with_dev_secrets(config))


def require_database(config: Config, may_create: bool = False) -> None:
    """Refuse, in one line and creating nothing, to run on a SQLite database that does not exist.

    The default DATABASE_URL is a path relative to the current folder (data/idp.sqlite): run from
    anywhere but the project's folder, a command would otherwise make an empty database and dev
    keys there and then fail on the missing tables. Only `idp demo` and `idp db upgrade` make a
    database, and only when told where (docs/configuration.md, "Where the data lives")."""
    from idp.store.db import sqlite_file

    path = sqlite_file(config.database_url)
    if path is None or os.path.exists(path) or may_create:
        return
    if "DATABASE_URL" in os.environ:
        why = f"DATABASE_URL={config.database_url} names {path}, which does not exist"
    else:
        why = (f"DATABASE_URL is unset, so the default {config.database_url}, relative to this folder: {path} "
               "does not exist")
    raise click.ClickException(f"no database: {why}; nothing was created (run idp in the project folder, set "
                               "DATABASE_URL, or start a new one here: `idp demo --here` or `idp db upgrade --create`)")


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

    from idp.app import TEMPLATES
    from idp.i18n import gettext
    from idp.signin.backchannel import wait_for_deliveries

    app = Flask("idp-cli", template_folder=TEMPLATES)  # the email templates (the owner's notices)
    app.jinja_env.globals["_"] = gettext
    app.extensions["idp"] = svc
    with app.app_context():
        yield
    wait_for_deliveries(timeout=60)


@contextlib.contextmanager
def refusals():
    """What the administration layer refuses, as the command's error: a usage error for invalid
    input (exit 2), a plain error otherwise (exit 1)."""
    from idp.administration.errors import AdminError, Invalid

    try:
        yield
    except Invalid as exc:
        raise click.UsageError(str(exc)) from None
    except AdminError as exc:
        raise click.ClickException(str(exc)) from None


def claim_mappings_from(maps, clear: bool) -> list:
    """`--map claim=from[@scope]` options (issue 35) as claim mappings; the administration checks them
    (a reserved claim is refused there, as at every other entry)."""
    from idp.administration.errors import Invalid
    from idp.apis.claim_mappings import InvalidMappings, parse_mapping

    if clear == bool(maps):
        raise click.UsageError("give --map claim=from[@scope] (repeat) or --clear")
    try:
        return [parse_mapping(text) for text in maps]
    except InvalidMappings as exc:
        raise Invalid({"claim_mappings": str(exc)}) from None


CLAIM_MAP_HELP = ("claim=from[@scope]: e.g. plan=app_metadata.plan, org=organization.slug, "
                  "contact=user.email@billing; repeat (docs/claims.md)")
