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
