"""Email through SMTP, without ever making a request wait for the SMTP server.

A message is first written to the durable outbox (the mail_outbox table), then handed
to this process's sender thread. The thread connects with SMTP_TIMEOUT, upgrades with
STARTTLS whenever the server offers it, and on failure schedules a retry with backoff;
every SMTP_SWEEP seconds it also picks up due messages (a restart, another replica's
leftovers). A message that still fails when its link would have expired is marked
`failed` and logged at ERROR: reported, never silently lost. `idp mail retry` sends every
pending message at once; `idp mail status` counts them.

Bodies can hold a link token: the outbox erases a body once it is sent or given up.

How a message leaves is the transport's business: SMTP (SmtpTransport), or, on the embedded
default with no SMTP configured, the development mailbox (idp/accounts/dev_mailbox.py), which the
app factory installs. A process that has no way to send (a CLI command without SMTP_HOST) never
attempts: its messages wait in the outbox for the server's sweep.
"""

from __future__ import annotations

import logging
import os
import queue
import smtplib
import ssl
import threading
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from idp.config import Config, is_loopback_url
from idp.store.account_repos import Outbox, OutgoingMail
from idp.store.models import utcnow

log = logging.getLogger("idp.mail")
RETRY_DELAYS = (10, 60, 300, 900, 1800)  # seconds after the 1st, 2nd, ... failure
SWEEP_SECONDS = 30


class MailNotConfigured(Exception):
    """SMTP_HOST is empty: the message waits in the outbox."""


class InsecureSMTP(Exception):
    """Credentials would cross the network in clear text (no STARTTLS offered)."""


class SmtpTransport:
    """Sends one message through SMTP_HOST (STARTTLS whenever offered; credentials never in clear)."""

    def __init__(self, config: Config):
        self.config = config

    @property
    def configured(self) -> bool:
        return bool(self.config.smtp_host)

    def __call__(self, message: OutgoingMail) -> None:
        config = self.config
        if not config.smtp_host:
            raise MailNotConfigured("SMTP_HOST is not set")
        email = EmailMessage()
        email["From"] = config.email_from
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = make_msgid(domain=config.email_from.rsplit("@", 1)[-1])
        email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
        email.set_content(message.body)
        smtp_class = smtplib.SMTP_SSL if config.smtp_port == 465 else smtplib.SMTP
        with smtp_class(config.smtp_host, config.smtp_port, timeout=config.smtp_timeout) as smtp:
            smtp.ehlo()
            encrypted = smtp_class is smtplib.SMTP_SSL
            if not encrypted and smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
                encrypted = True
            if config.smtp_user:
                if not encrypted and not is_loopback_url(f"smtp://{config.smtp_host}"):
                    raise InsecureSMTP("the server offers no STARTTLS: refusing to send SMTP_USER/SMTP_PASS in clear")
                smtp.login(config.smtp_user, config.smtp_pass)
            smtp.send_message(email)


class Mailer:
    def __init__(self, config: Config, outbox: Outbox, transport=None):
        self.config = config
        self.outbox = outbox
        # a callable taking an OutgoingMail, raising on failure; `configured`: whether it can send at all
        self.transport = transport or SmtpTransport(config)
        self._queue: queue.Queue[str] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._pid = None
        self._lock = threading.Lock()

    # -- the request side: never waits for SMTP -----------------------------------
    def send(self, recipient: str, subject: str, body: str, keep_trying_for: int) -> str:
        """Queue a message; keep_trying_for: seconds after which it is pointless (its link expired)."""
        message_id = self.outbox.add(recipient, subject, body, keep_trying_for)
        if self.transport.configured or self._thread is not None:  # the server started its sender at boot
            self.start()
            self._queue.put(message_id)
        return message_id  # otherwise (a CLI process that cannot send): the server's sweep delivers it

    def start(self) -> None:
        """Start this process's sender thread (again after a fork: threads do not survive one)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="idp-mail", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                try:
                    self.deliver(self._queue.get(timeout=SWEEP_SECONDS))
                except queue.Empty:
                    self.deliver_due()
            except Exception:  # the database was briefly away: the sweep will find the message again
                log.exception("mail sender: unexpected error; pending messages are retried by the next sweep")

    def wake(self, message_ids: list[str]) -> None:
        """Hand messages made due (Outbox.requeue) to this process's sender thread at once; other
        replicas' sweeps find them too."""
        self.start()
        for message_id in message_ids:
            self._queue.put(message_id)

    # -- delivery -----------------------------------------------------------------
    def deliver_due(self, ignore_backoff: bool = False) -> int:
        return sum(self.deliver(message_id) for message_id in self.outbox.due(ignore_backoff=ignore_backoff))

    def deliver(self, message_id: str) -> bool:
        """One attempt; True when the message went out."""
        message = self.outbox.claim(message_id, lease=int(self.config.smtp_timeout * 4) + 10)
        if message is None:
            return False  # sent, failed, or another sender holds it
        try:
            self.transport(message)
        except (OSError, smtplib.SMTPException, MailNotConfigured, InsecureSMTP) as exc:
            self._failed(message, f"{type(exc).__name__}: {exc}"[:255])
            return False
        self.outbox.mark_sent(message.id)
        log.info("mail sent", extra={"mail_id": message.id, "attempt": message.attempts + 1})
        return True

    def _failed(self, message: OutgoingMail, error: str) -> None:
        attempt = message.attempts + 1
        if utcnow() >= message.give_up_at or attempt > len(RETRY_DELAYS):
            self.outbox.mark_failed(message.id, error)
            log.error("mail given up after %d attempts: %s", attempt, error,
                      extra={"mail_id": message.id, "subject": message.subject})
            return
        delay = RETRY_DELAYS[attempt - 1]
        self.outbox.retry_later(message.id, error, delay)
        log.warning("mail attempt %d failed (%s); retrying in %ds", attempt, error, delay,
                    extra={"mail_id": message.id})
