"""The development mailbox: where mail goes on the embedded default when no SMTP server is
configured, so that a developer's first sign-up, reset or invitation is not stuck in the outbox.

A transport of idp/accounts/mail.py (the outbox, the sender thread and the audit stay as they
are): each message is printed to the server's console with its links and kept in this process's
memory (the newest KEEP), where /dev/mailbox shows it (idp/web/dev_mailbox.py). The app factory
installs it only in that mode (Config.dev_mailbox: not production, no SMTP_HOST, no REDIS_URL,
hence one process): never where a real user's link could be read by someone else.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import re
import sys
import threading

from idp.plumbing.web_urls import parse_web_url
from idp.store.account_repos import OutgoingMail

KEEP = 200
_LINK = re.compile(r"https?://[^\s<>\"']+")


@dataclasses.dataclass(frozen=True)
class DevMessage:
    id: str
    recipient: str
    subject: str
    body: str
    received_at: dt.datetime

    def parts(self) -> list[tuple[str, str | None]]:
        """The body as (text, href) pieces: href only for an http(s) URL that parses strictly
        (idp/plumbing/web_urls.py), re-serialised; everything else is plain text."""
        pieces, at = [], 0
        for match in _LINK.finditer(self.body):
            text = match.group(0).rstrip(".,;:!?)")
            try:
                href = parse_web_url(text).url
            except ValueError:
                continue
            pieces.append((self.body[at:match.start()], None))
            pieces.append((text, href))
            at = match.start() + len(text)
        pieces.append((self.body[at:], None))
        return [piece for piece in pieces if piece[0]]

    def links(self) -> list[str]:
        return [href for _, href in self.parts() if href]


class DevMailbox:
    """A mail transport that delivers into memory and onto the console."""

    configured = True  # it can always "send"

    def __init__(self, mailbox_url: str, out=None):
        self.mailbox_url = mailbox_url  # where the page lives, printed with each message
        self.out = out
        self._messages: collections.deque[DevMessage] = collections.deque(maxlen=KEEP)
        self._lock = threading.Lock()

    def __call__(self, message: OutgoingMail) -> None:
        kept = DevMessage(message.id, message.recipient, message.subject, message.body or "",
                          dt.datetime.now(dt.timezone.utc))
        with self._lock:
            self._messages.appendleft(kept)
        out = self.out or sys.stdout
        lines = [f"  mail to {kept.recipient}: {kept.subject}"]
        lines += [f"    link  {link}" for link in kept.links()]
        lines.append(f"    read  {self.mailbox_url}/{kept.id}")
        out.write("\n".join(lines) + "\n")
        out.flush()

    def messages(self) -> list[DevMessage]:
        """Newest first."""
        with self._lock:
            return list(self._messages)

    def get(self, message_id: str) -> DevMessage | None:
        with self._lock:
            return next((m for m in self._messages if m.id == message_id), None)
