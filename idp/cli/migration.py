"""`idp users import` and `idp users export`: moving users in with their hashes, and out again."""

from __future__ import annotations

import json
import os
import sys

import click

from idp.cli.common import load_services, request_like_context
from idp.migration.readers import FORMATS
from idp.migration.writer import ON_CONFLICT


@click.command("import")
@click.argument("file", type=click.Path(exists=True, readable=True))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="jsonl", show_default=True)
@click.option("--dry-run", is_flag=True, help="check every record and report, writing nothing")
@click.option("--on-conflict", type=click.Choice(ON_CONFLICT), default="skip", show_default=True,
              help="a record whose id (or, without an id, email) exists: leave it, replace it, or report it")
@click.option("--allow-weak-hashes", is_flag=True, help="accept salted MD5/SHA digests (replaced at next sign-in)")
@click.option("--roles-api", default=None, help="keycloak: the registered API whose roles the realm roles become")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=500, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
def users_import(file, fmt, dry_run, on_conflict, allow_weak_hashes, roles_api, batch_size, as_json):
    """Import users from FILE (jsonl, a Keycloak realm export or folder, or Auth0's bulk-import
    JSON) with their password hashes; see docs/migration.md. Exit 1 when any record failed."""
    from idp.migration.readers import read
    from idp.migration.writer import UserImporter
    from idp.observability import audit

    svc = load_services()
    importer = UserImporter(svc.db, svc.config.key_encryption_key, svc.users, batch_size,
                            svc.config.user_metadata_max_bytes)
    items = read(file, fmt, roles_api)
    with request_like_context(svc):
        if sys.stderr.isatty() and not as_json:
            with click.progressbar(length=0, label="importing", file=sys.stderr, show_pos=True) as bar:
                report = importer.run(items, on_conflict, dry_run, allow_weak_hashes,
                                      progress=lambda n, _report: bar.update(n))
        else:
            report = importer.run(items, on_conflict, dry_run, allow_weak_hashes)
        if not dry_run:
            audit.record("users.imported", actor="cli", format=fmt,
                         counts=report.counts())
    if as_json:
        click.echo(json.dumps(report.as_dict()))
    else:
        for position, reason in report.errors:
            click.echo(f"record {position}: {reason}", err=True)
        verb = "would import" if dry_run else "imported"
        click.echo(f"{verb}: {report.created} created, {report.updated} updated, {report.skipped} skipped, "
                   f"{report.failed} failed")
    if report.failed:
        sys.exit(1)


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, writable=True),
              help="the file to write (created owner-only: it holds password hashes and TOTP secrets)")
def users_export(fmt, output):
    """Every user with hash, second factors, links, groups and roles, in the import's jsonl schema."""
    from idp.migration.export import export_lines
    from idp.observability import audit

    svc = load_services()
    # O_EXCL: never write secrets into a file someone else prepared (and whose mode they chose).
    try:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise click.ClickException(f"{output} exists: choose a new file") from None
    count = 0
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        for line in export_lines(svc.db, svc.config.key_encryption_key):
            handle.write(line)
            count += 1
    with request_like_context(svc):
        audit.record("users.exported", actor="cli", format=fmt, count=count)
    click.echo(f"exported {count} users to {output}")
