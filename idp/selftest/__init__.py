"""`idp selftest`: a strict relying party's checks against a running deployment, as the step
after every deployment. A temporary client and user are created for the run (through the
administration layer, on the deployment's own database) and removed afterwards, whatever the
outcome; the report has one line per check with the clause it holds the deployment to."""

from __future__ import annotations

import contextlib
import secrets

from idp.selftest.checks import run_checks
from idp.selftest.relying_party import Credentials
from idp.selftest.report import Report

REDIRECT_URI = "http://127.0.0.1:9/selftest/callback"  # never fetched: the flow stops at the redirect


@contextlib.contextmanager
def temporary_client_and_user(svc):
    """A confidential code-flow client and a verified user with a random password, removed on exit."""
    from idp.administration import Actor
    from idp.administration.users import UserAdmin

    admin, actor = UserAdmin(svc), Actor.operator()
    password = secrets.token_urlsafe(24)
    user = admin.create(actor, email=f"selftest-{secrets.token_hex(6)}@selftest.invalid", name="idp selftest",
                        password=password, email_verified=True)
    client, secret = svc.clients.create("idp selftest (temporary)", [REDIRECT_URI],
                                        grant_types=["authorization_code", "refresh_token"],
                                        scope="openid email offline_access")
    try:
        yield Credentials(client.client_id, secret, REDIRECT_URI, user.email, password)
    finally:
        svc.clients.delete(client.client_id)
        admin.delete(actor, user.id)


def selftest(issuer: str, svc, verify_tls: bool = True) -> Report:
    issuer = issuer.rstrip("/")
    report = Report(issuer)
    with temporary_client_and_user(svc) as creds:
        run_checks(report, issuer, creds, verify_tls)
    return report
