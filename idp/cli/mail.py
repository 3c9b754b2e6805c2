"""`idp mail`: the outbox of verification, reset and notice emails."""

from __future__ import annotations

import click

from idp.cli.common import (
    load_services,
)


@click.group()
def mail():
    """The outbox of verification, reset and notice emails (see idp/accounts/mail.py)."""


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
