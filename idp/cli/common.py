"""What every `idp` command needs: the configuration, the services, an app context."""

from __future__ import annotations

import contextlib

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

    return build_services(with_dev_secrets(config or load_config()))


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
