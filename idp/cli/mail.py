"""`idp mail`: the outbox of verification, reset and notice emails (idp/administration/mail.py,
which the admin API's /mail uses too)."""

from __future__ import annotations

import click

from idp.administration import Actor
from idp.cli.common import load_services, refusals, request_like_context


@click.group()
def mail():
    """The outbox of verification, reset and notice emails (see idp/accounts/mail.py)."""


def mail_admin():
    from idp.administration.mail import MailAdmin

    svc = load_services()
    return svc, MailAdmin(svc)


@mail.command("status")
def mail_status():
    """Count messages by state: pending (being retried), sent, failed (given up); the recent failures."""
    status = mail_admin()[1].status()
    for state in ("pending", "sent", "failed"):
        click.echo(f"{state:8} {status.counts[state]}")
    if status.oldest_pending_seconds is not None:
        click.echo(f"oldest pending: {status.oldest_pending_seconds} s")
    for failure in status.recent_failures:
        click.echo(f"{failure['id']}  {failure['status']:7}  @{failure['recipient_domain']}  "
                   f"attempts {failure['attempts']}  {failure['last_error']}")


@mail.command("retry")
@click.option("--id", "message_id", default=None, help="only this pending message")
def mail_retry(message_id):
    """Try every pending message now (after fixing SMTP_*), without waiting for its backoff."""
    svc, admin = mail_admin()
    with refusals(), request_like_context(svc):
        sent = admin.retry(Actor.operator(), message_id, wait=True)
    counts = admin.status().counts
    click.echo(f"sent {sent}; still pending {counts['pending']}; failed {counts['failed']}")
    if counts["pending"]:
        raise SystemExit(1)
