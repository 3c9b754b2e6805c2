"""`idp selftest`: run a strict relying party's checks against a deployment (idp/selftest)."""

from __future__ import annotations

import click

from idp.cli.common import load_services, request_like_context


@click.command()
@click.option("--issuer", required=True, help="the deployment's issuer URL, as relying parties reach it")
@click.option("--json", "as_json", is_flag=True, help="the report as JSON")
@click.option("--insecure-skip-tls-verify", is_flag=True, help="do not verify the TLS certificate (a test deployment)")
def selftest(issuer, as_json, insecure_skip_tls_verify):
    """Check a running deployment like a strict relying party; exit status 1 on any failure.

    Needs the deployment's DATABASE_URL and KEY_ENCRYPTION_KEY (and REDIS_URL) in the environment,
    as every `idp` command: a temporary client and user are created and removed afterwards."""
    from idp.selftest import selftest as run

    svc = load_services()
    with request_like_context(svc):
        report = run(issuer, svc, verify_tls=not insecure_skip_tls_verify)
    click.echo(report.as_json() if as_json else report.as_text())
    if not report.ok:
        raise SystemExit(1)
