"""`idp db`: the schema."""

from __future__ import annotations

import click

from idp.cli.common import (
    load_config,
)


@click.group()
def db():
    """Database schema."""


@db.command("upgrade")
def db_upgrade():
    """Apply Alembic migrations to DATABASE_URL."""
    from idp.store.migrate import upgrade

    upgrade(load_config().database_url)
    click.echo("database is up to date")
