"""`idp db`: the schema and the purge of what the retention policy no longer keeps."""

from __future__ import annotations

import click

from idp.cli.common import (
    load_config,
    load_services,
    require_database,
)


@click.group()
def db():
    """Database schema."""


@db.command("upgrade")
@click.option("--create", is_flag=True,
              help="make the default SQLite database (data/idp.sqlite) in this folder if it is not there")
def db_upgrade(create):
    """Apply Alembic migrations to DATABASE_URL.

    Makes a SQLite database that does not exist yet only when told where: DATABASE_URL set, or --create."""
    import os

    from idp.store.migrate import upgrade

    config = load_config()
    require_database(config, may_create=create or "DATABASE_URL" in os.environ)
    upgrade(config.database_url)
    click.echo("database is up to date")


@db.command("purge")
@click.option("--dry-run", is_flag=True, help="count what would go, delete nothing")
@click.option("--batch", type=click.IntRange(1, 100_000), default=None,
              help="rows per DELETE transaction (default PURGE_BATCH)")
def db_purge(dry_run, batch):
    """Delete what the retention policy no longer keeps (docs/retention.md); safe to run any time.

    Exits 0 when another purger (a replica's scheduled run) holds the lock: nothing to do twice."""
    from idp.ops.purge_schedule import purge_for, run_purge

    report = run_purge(purge_for(load_services()), dry_run=dry_run, batch=batch)
    if report is None:
        click.echo("skipped: another purge is running (it holds the purge lock)")
        return
    verb = "would delete" if dry_run else "deleted"
    for table, rows in report.rows.items():
        click.echo(f"{table:24} {verb} {rows}")
    click.echo(f"{'total':24} {verb} {sum(report.rows.values())} in {report.seconds:.2f}s")
