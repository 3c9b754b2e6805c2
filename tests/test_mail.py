"""Email: queued in the durable outbox and sent by a background thread, so a slow SMTP server
never holds a request; a failed send is retried (and finally reported), never silently lost;
STARTTLS is used when the server offers it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import socket
import ssl
import time

from click.testing import CliRunner

from idp.accounts.mail import Mailer
from idp.cli import main as cli
from idp.store.account_repos import Outbox

from .conftest import Browser, free_port, start_idp
from .flows import submit


def mailer_for(idp, **config) -> Mailer:
    return Mailer(dataclasses.replace(idp.services.config, **config), Outbox(idp.services.db))


def test_a_failed_send_stays_in_the_outbox_and_is_retried(idp, mailbox):
    dead = mailer_for(idp, smtp_host="127.0.0.1", smtp_port=free_port())  # nothing listens there
    message_id = dead.outbox.add("retry-me@example.com", "Retried", "body with a link", keep_trying_for=3600)
    assert dead.deliver(message_id) is False
    row = dead.outbox.get(message_id)
    assert (row.status, row.attempts, row.body) == ("pending", 1, "body with a link")
    assert "ConnectionRefusedError" in row.last_error and row.next_attempt_at > row.created_at

    live = mailer_for(idp, smtp_host="127.0.0.1", smtp_port=mailbox.port)
    assert live.deliver(message_id) is True
    row = live.outbox.get(message_id)
    assert row.status == "sent" and row.body is None  # the link is erased once it went out
    assert mailbox.wait_for("retry-me@example.com", "Retried").get_content().strip() == "body with a link"


def test_a_message_past_its_usefulness_is_reported_failed_not_dropped(idp, caplog):
    dead = mailer_for(idp, smtp_host="127.0.0.1", smtp_port=free_port())
    message_id = dead.outbox.add("gone@example.com", "Too late", "secret link", keep_trying_for=0)
    with caplog.at_level(logging.ERROR, logger="idp.mail"):
        assert dead.deliver(message_id) is False
    row = dead.outbox.get(message_id)
    assert row.status == "failed" and row.body is None and row.last_error
    assert any("given up" in r.getMessage() for r in caplog.records)
    assert "secret link" not in caplog.text


def test_mail_retry_command_sends_what_is_pending(idp, mailbox):
    config = idp.services.config
    unconfigured = mailer_for(idp, smtp_host="")
    message_id = unconfigured.outbox.add("later@example.com", "Later", "hello", keep_trying_for=3600)
    assert unconfigured.deliver(message_id) is False
    assert "SMTP_HOST is not set" in unconfigured.outbox.get(message_id).last_error
    env = {"DATABASE_URL": config.database_url, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mailbox.port),
           "SESSION_SECRET": config.session_secret, "KEY_ENCRYPTION_KEY": config.key_encryption_key,
           "EMAIL_FROM": "idp@example.com", "REDIS_URL": config.redis_url or "",
           "REDIS_KEY_PREFIX": config.redis_prefix}
    result = CliRunner().invoke(cli, ["mail", "retry"], env=env)
    assert result.exit_code == 0, result.output
    assert mailbox.wait_for("later@example.com", "Later")
    assert "pending" in CliRunner().invoke(cli, ["mail", "status"], env=env).output


def test_a_hanging_smtp_server_does_not_hold_the_request(tmp_path_factory):
    """The SMTP server accepts the connection and never says a word."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    live, stop = start_idp("embedded", tmp_path_factory, smtp_host="127.0.0.1",
                           smtp_port=silent.getsockname()[1], smtp_timeout=1.5)
    try:
        user = live.create_user()
        browser = Browser(live)
        page = browser.go(live.endpoint("/forgot-password"))
        started = time.monotonic()
        answer = submit(browser, "/forgot-password", page, email=user.email)
        assert answer.status_code == 200 and time.monotonic() - started < 1.0  # under SMTP_TIMEOUT
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            rows = [live.services.mailer.outbox.get(i) for i in live.services.mailer.outbox.due(ignore_backoff=True)]
            if rows and rows[0].last_error:
                break
            time.sleep(0.2)
        assert rows and rows[0].status == "pending" and "timed out" in rows[0].last_error.lower()
    finally:
        stop()
        silent.close()


def self_signed_certificate(tmp_path):
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_starttls_is_used_when_the_server_offers_it(idp, tmp_path, monkeypatch):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from .conftest import Mailbox

    cert, key = self_signed_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box = Mailbox()
    port = free_port()
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password, bool(session.ssl)))
        return AuthResult(success=(auth_data.login, auth_data.password) == (b"idp", b"pw"))

    # require_starttls: the server refuses AUTH and MAIL before STARTTLS, so a delivery proves TLS was used.
    controller = Controller(box, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            authenticator=authenticator, auth_require_tls=True)
    controller.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # our client verifies the certificate as usual
    try:
        mailer = mailer_for(idp, smtp_host="127.0.0.1", smtp_port=port, smtp_user="idp", smtp_pass="pw")
        message_id = mailer.outbox.add("tls@example.com", "Over TLS", "hello", keep_trying_for=60)
        assert mailer.deliver(message_id) is True, mailer.outbox.get(message_id).last_error
        assert box.wait_for("tls@example.com", "Over TLS")
        assert logins == [(b"idp", b"pw", True)]
    finally:
        controller.stop()
