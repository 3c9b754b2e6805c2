"""The outbox as administrators see it (the admin API's /mail, `idp mail`): counts by status, the
age of the oldest pending message, the recent failures, and a retry that does not wait for the
backoff. Bodies and links (they hold tokens) never leave through here; of a recipient only the
domain is shown, and addresses are masked in SMTP errors too."""

from __future__ import annotations

import dataclasses
import re

from idp.administration import Actor
from idp.administration.errors import Conflict, Invalid, NotFound
from idp.observability import audit
from idp.store.models import utcnow

RECENT_FAILURES = 20
MAX_ID = 36
_ADDRESS = re.compile(r"[^\s@'\"<>(),;:\[\]]+@([A-Za-z0-9.-]+)")


def masked(error: str | None) -> str | None:
    """An SMTP error without the local part of any address it quotes (`…@example.com`)."""
    return _ADDRESS.sub(r"…@\1", error) if error else error


def domain_of(recipient: str) -> str:
    return recipient.rsplit("@", 1)[-1].lower()


@dataclasses.dataclass(frozen=True)
class MailStatus:
    counts: dict[str, int]
    oldest_pending_seconds: int | None
    recent_failures: list[dict]

    def as_dict(self) -> dict:
        return {"counts": self.counts, "oldest_pending_age_seconds": self.oldest_pending_seconds,
                "recent_failures": self.recent_failures}


class MailAdmin:
    """Built on the services container (idp/services.py): `MailAdmin(services)`."""

    def __init__(self, services):
        self.mailer = services.mailer
        self.outbox = services.mailer.outbox

    def status(self) -> MailStatus:
        found = self.outbox.counts()
        counts = {state: found.get(state, 0) for state in ("pending", "sent", "failed")}
        oldest = self.outbox.oldest_pending_at()
        age = max(0, int((utcnow() - oldest).total_seconds())) if oldest is not None else None
        failures = [{"id": f.id, "recipient_domain": domain_of(f.recipient), "status": f.status,
                     "attempts": f.attempts, "last_error": masked(f.last_error),
                     "created_at": f.created_at.isoformat(timespec="seconds") + "Z"}
                    for f in self.outbox.recent_failures(RECENT_FAILURES)]
        return MailStatus(counts, age, failures)

    def retry(self, actor: Actor, message_id: str | None = None, wait: bool = False) -> int:
        """Every pending message (or the one) due now. wait=True (the CLI, whose process ends when
        the command does) sends them here and returns how many went out; otherwise they go to the
        sender thread and the count made due is returned.

        A message given up is not sent again: its body, which held a link token, was erased when it
        failed (and the link has expired or soon will): the user asks for a new link instead.

        wait=True sends with this process's settings: without SMTP_HOST it refuses before touching
        anything, rather than spend the messages' attempts on settings the server may well have."""
        if wait and not self.mailer.transport.configured:
            raise Conflict("SMTP_HOST is not set here: nothing was sent or counted as an attempt (run it with the "
                           "server's SMTP_* settings; the embedded default without SMTP delivers to its /dev/mailbox "
                           "by itself)")
        if message_id is not None:
            self._check_pending(message_id)
        ids = self.outbox.requeue(message_id)
        if wait:
            done = sum(self.mailer.deliver(one) for one in ids)
        else:
            self.mailer.wake(ids)
            done = len(ids)
        audit.record("mail.retried", actor=actor.label, message_id=message_id, messages=len(ids),
                     **({"sent": done} if wait else {}))
        return done

    def _check_pending(self, message_id) -> None:
        if not isinstance(message_id, str) or not 0 < len(message_id) <= MAX_ID:
            raise Invalid({"id": f"a message id (at most {MAX_ID} characters)"})
        row = self.outbox.get(message_id)
        if row is None:
            raise NotFound("message", message_id)
        if row.status != "pending":
            raise Conflict(f"message {message_id} is {row.status}: only a pending message can be retried"
                           + (" (a failed one's body was erased; send the user a new link)"
                              if row.status == "failed" else ""))
