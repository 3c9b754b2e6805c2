"""The delivery worker: sends the outbox's pending deliveries, signed, at least once.

Every process of the IdP runs one (started where the mail sender and the purge are, in the app
factory), and they share the work through the database: a worker claims due deliveries under a
lease (PostgreSQL `FOR UPDATE SKIP LOCKED`: one replica per delivery; SQLite: one process), posts
each through the outbound SSRF guard (idp/plumbing/outbound.py: no private address unless
WEBHOOK_ALLOW_LOOPBACK lets 127.0.0.1 through for development), and records the attempt. Only the
oldest pending delivery of a user's events to an endpoint is due, so they arrive in order.

The schedule is the Standard Webhooks example's first eight steps: immediately, then 5 s, 5 min,
30 min, 2 h, 5 h, 10 h and 10 h after each failure; after the eighth failure the delivery is
`failed` (an administrator may replay it). A 2xx is success, anything else (a redirect too) a
failure; 410 Gone disables the endpoint at once (spec, "Delivery success and failure"). An endpoint
that has failed without a success for WEBHOOK_DISABLE_AFTER is disabled, with an audit event and
idp_webhook_endpoints_disabled_total.

`run_once(now)` takes the clock from its caller, so tests walk the schedule without waiting.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time

from idp.events import signing
from idp.observability.metrics import WEBHOOK_ATTEMPTS, WEBHOOK_DURATION, WEBHOOK_ENDPOINTS_DISABLED
from idp.plumbing.encryption import KeyDecryptionError, KeyWrapper
from idp.plumbing.outbound import Outbound, OutboundError
from idp.store.audit_events import AuditEvents
from idp.store.models import utcnow
from idp.store.webhooks import Job, Webhooks

log = logging.getLogger("idp.webhooks")
# seconds before attempt 1, 2, … 8 (attempt 1 at once)
SCHEDULE = (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
BATCH = 20


def secret_kid(endpoint_id: str) -> str:
    """The AAD the endpoint's secret is encrypted under: a blob copied to another row does not open."""
    return f"webhook:{endpoint_id}"


def next_attempt(attempt: int, now: dt.datetime) -> dt.datetime | None:
    """After failed attempt number `attempt` (1-based): when the next one is due, None if none is."""
    return now + dt.timedelta(seconds=SCHEDULE[attempt]) if attempt < len(SCHEDULE) else None


def body_of(job: Job) -> bytes:
    """The Standard Webhooks payload: type, the event's timestamp, data; minified, sent as signed."""
    return json.dumps({"type": job.event_type, "timestamp": job.occurred_at.isoformat(timespec="microseconds") + "Z",
                       "data": job.data}, separators=(",", ":"), sort_keys=True).encode()


class DeliveryWorker:
    def __init__(self, webhooks: Webhooks, outbound: Outbound, wrapper: KeyWrapper, audit_events: AuditEvents,
                 *, disable_after: int, timeout: float, sweep: float):
        self.webhooks, self.outbound, self.wrapper, self.audit_events = webhooks, outbound, wrapper, audit_events
        self.disable_after, self.timeout, self.sweep = disable_after, timeout, sweep
        self._wake = threading.Event()
        self.stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    # -- the thread --------------------------------------------------------------
    def start(self) -> None:
        """Start this process's thread (again after a fork: threads do not survive one)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self.stopped.clear()
            self._thread = threading.Thread(target=self._run, name="idp-webhooks", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """An event was just committed: look now rather than at the next sweep. A process that never
        started the thread (a CLI command) leaves the event to the servers' sweeps."""
        if self._thread is not None and self._pid != os.getpid() and not self.stopped.is_set():
            self.start()  # forked since: threads do not survive a fork
        self._wake.set()

    def stop(self) -> None:
        self.stopped.set()
        self._wake.set()

    def _run(self) -> None:
        while not self.stopped.is_set():
            try:
                while self.run_once() and not self.stopped.is_set():
                    pass
            except Exception:  # the database was away: the outbox keeps everything, the next sweep retries
                log.exception("webhook worker: unexpected error; pending deliveries are retried by the next sweep")
            self._wake.wait(self.sweep)
            self._wake.clear()

    # -- one round ---------------------------------------------------------------
    def run_once(self, now: dt.datetime | None = None) -> int:
        """Claim and attempt the deliveries due at `now` (default: the clock); how many were attempted."""
        now = now or utcnow()
        jobs = self.webhooks.claim(now, lease_seconds=self.timeout * 2 + 30, limit=BATCH)
        for job in jobs:
            self.attempt(job, now)
        return len(jobs)

    def attempt(self, job: Job, now: dt.datetime) -> None:
        body = body_of(job)
        started = time.monotonic()
        status, error = None, None
        try:
            # The header's timestamp is the attempt's real time (receivers check it against theirs).
            sent_at = dt.datetime.now(dt.timezone.utc)
            headers = signing.headers(self._secrets(job, sent_at), job.event_id, sent_at, body)
            response = self.outbound.request("POST", job.endpoint.url, body=body, headers=headers,
                                             max_bytes=64 * 1024)
            status = response.status
        except OutboundError as exc:
            error = str(exc)[:255]
        except KeyDecryptionError:  # KEY_ENCRYPTION_KEY changed without `idp keys rewrap`: retried, reported
            error = "the signing secret does not decrypt under KEY_ENCRYPTION_KEY"
        duration = time.monotonic() - started
        WEBHOOK_DURATION.observe(duration)
        attempt = job.attempts + 1
        ok = status is not None and 200 <= status < 300
        if status is not None and not ok:
            error = f"HTTP {status}"
        retry_at = None if ok else next_attempt(attempt, now)
        self.webhooks.record_attempt(job, now, status, int(duration * 1000), error, retry_at)
        WEBHOOK_ATTEMPTS.labels("delivered" if ok else "retrying" if retry_at else "failed").inc()
        extra = {"webhook_endpoint": job.endpoint.id, "delivery_id": job.delivery_id, "attempt": attempt,
                 "status": status}
        if ok:
            log.info("webhook delivered", extra=extra)
            return
        log.warning("webhook attempt failed: %s", error, extra=extra)
        if status == 410:  # the receiver asks for no more (Standard Webhooks)
            self._disable(job, now, "gone", now + dt.timedelta(seconds=1))
        elif self.disable_after:
            self._disable(job, now, "failing", now - dt.timedelta(seconds=self.disable_after))

    def _secrets(self, job: Job, now: dt.datetime) -> list[str]:
        endpoint = job.endpoint
        kid = secret_kid(endpoint.id)
        found = [self.wrapper.unwrap(endpoint.secret, kid).decode()]
        until = endpoint.previous_secret_until
        if endpoint.previous_secret and until and until > now.replace(tzinfo=None):
            found.append(self.wrapper.unwrap(endpoint.previous_secret, kid).decode())
        return found

    def _disable(self, job: Job, now: dt.datetime, reason: str, failing_before: dt.datetime) -> None:
        if not self.webhooks.disable_failing(job.endpoint.id, failing_before, reason):
            return
        WEBHOOK_ENDPOINTS_DISABLED.inc()
        log.error("webhook endpoint disabled (%s)", reason, extra={"webhook_endpoint": job.endpoint.id})
        # No request here: the row is written directly (audit.record needs an app context).
        self.audit_events.add("webhook.endpoint_disabled", actor="webhooks",
                              details={"endpoint_id": job.endpoint.id, "reason": reason,
                                       "disable_after_seconds": self.disable_after})
