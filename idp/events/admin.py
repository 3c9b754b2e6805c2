"""Webhook endpoints as administrators manage them (issue 35): the admin API's /webhooks, `idp
webhooks …` and the console call these, so every entry validates alike.

An endpoint's URL is https (Standard Webhooks, "Enforcing HTTPS"), parsed by idp/plumbing/web_urls.py;
plain http only to a loopback host, and only when WEBHOOK_ALLOW_LOOPBACK is on (development,
tests). An IP literal that is not a public address is refused here; a name that resolves to one is
refused by the outbound guard at each attempt. The `whsec_` secret is returned once, by create and
by rotate-secret; a rotation keeps the previous secret signing too for `overlap_seconds`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress

from idp.administration import DEFAULT_LIMIT, Actor, Page, check_limit, check_version, page_of, version_of
from idp.administration.errors import Invalid, NotFound, PreconditionFailed
from idp.events import signing
from idp.events.delivery import secret_kid
from idp.events.types import EVENT_TYPES
from idp.observability import audit
from idp.plumbing.encryption import KeyWrapper
from idp.plumbing.web_urls import parse_web_url
from idp.store.models import new_id, utcnow
from idp.store.webhooks import DELIVERED, FAILED, PENDING, Delivery, Endpoint

MAX_DESCRIPTION = 255
DEFAULT_OVERLAP, MAX_OVERLAP = 86400, 7 * 86400
STATES = (PENDING, DELIVERED, FAILED)
FIELDS = ("url", "event_types", "description", "enabled")


def when(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def endpoint_version(endpoint: Endpoint) -> str:
    return version_of(endpoint.id, endpoint.version)


def endpoint_document(endpoint: Endpoint) -> dict:
    """What an administrator reads of an endpoint: never its secret."""
    return {"id": endpoint.id, "url": endpoint.url, "description": endpoint.description,
            "event_types": list(endpoint.event_types), "enabled": endpoint.enabled,
            "disabled_reason": endpoint.disabled_reason, "failing_since": when(endpoint.failing_since),
            "previous_secret_valid_until": when(endpoint.previous_secret_until),
            "created_at": when(endpoint.created_at)}


def delivery_document(delivery: Delivery) -> dict:
    return {"id": delivery.id, "event_id": delivery.event_id, "event_type": delivery.event_type,
            "state": delivery.state, "attempts": delivery.attempts, "last_status": delivery.last_status,
            "last_error": delivery.last_error, "next_attempt_at": when(delivery.next_attempt_at)
            if delivery.state == PENDING else None, "created_at": when(delivery.created_at),
            "finished_at": when(delivery.finished_at)}


def attempt_document(attempt) -> dict:
    return {"attempted_at": when(attempt.attempted_at), "status": attempt.status,
            "duration_ms": attempt.duration_ms, "error": attempt.error}


class WebhookAdmin:
    """Built on the services container (idp/services.py): `WebhookAdmin(services)`."""

    def __init__(self, services):
        self.webhooks = services.webhooks
        self.wrapper = KeyWrapper(services.config.key_encryption_key)
        self.allow_loopback = services.config.webhook_allow_loopback
        self.worker = services.webhook_worker

    # -- validation ----------------------------------------------------------------
    def check_url(self, url, errors: dict) -> str | None:
        try:
            parsed = parse_web_url(url)
        except ValueError as exc:
            errors["url"] = f"not a valid URL: {exc}"
            return None
        if parsed.fragment:
            errors["url"] = "must not have a fragment"
            return None
        if parsed.loopback:
            if not self.allow_loopback:
                errors["url"] = "a loopback host (allowed only with WEBHOOK_ALLOW_LOOPBACK, for development)"
                return None
            return parsed.url
        if parsed.scheme != "https":
            errors["url"] = "must be https"
            return None
        try:
            address = ipaddress.ip_address(parsed.host.strip("[]"))
        except ValueError:
            return parsed.url  # a name: the outbound guard checks what it resolves to at every attempt
        if not address.is_global or address.is_multicast:
            errors["url"] = "a private or reserved address (webhooks go to public addresses only)"
            return None
        return parsed.url

    @staticmethod
    def check_event_types(value, errors: dict) -> list | None:
        if not isinstance(value, list) or not value or not all(isinstance(t, str) for t in value):
            errors["event_types"] = "a non-empty list of event types: " + ", ".join(EVENT_TYPES)
            return None
        unknown = sorted(set(value) - set(EVENT_TYPES))
        if unknown:
            errors["event_types"] = f"unknown {', '.join(t[:64] for t in unknown[:5])}; known: " + ", ".join(EVENT_TYPES)
            return None
        return sorted(set(value))

    def _validated(self, fields: dict, required: bool) -> dict:
        if not isinstance(fields, dict):
            raise Invalid({"body": "must be a JSON object"})
        errors, values = {}, {}
        for name in set(fields) - set(FIELDS):
            errors[str(name)[:64]] = "not a field of a webhook endpoint"
        for name in ("url", "event_types") if required else ():
            if name not in fields:
                errors[name] = "required"
        if "url" in fields:
            values["url"] = self.check_url(fields["url"], errors)
        if "event_types" in fields:
            values["event_types"] = self.check_event_types(fields["event_types"], errors)
        if "description" in fields:
            text = fields["description"]
            if text is not None and (not isinstance(text, str) or len(text) > MAX_DESCRIPTION
                                     or any(ord(c) < 32 or ord(c) == 127 for c in text)):
                errors["description"] = f"text of at most {MAX_DESCRIPTION} characters, without control characters"
            values["description"] = text.strip() or None if isinstance(text, str) else None
        if "enabled" in fields:
            if type(fields["enabled"]) is not bool:
                errors["enabled"] = "must be true or false"
            values["enabled"] = fields["enabled"]
        if errors:
            raise Invalid(errors)
        return values

    # -- endpoints -----------------------------------------------------------------
    def create(self, actor: Actor, fields: dict) -> tuple[Endpoint, str]:
        """The endpoint and its whsec_ secret (shown this once)."""
        values = self._validated(fields, required=True)
        endpoint_id, secret = new_id(), signing.new_secret()
        endpoint = self.webhooks.create_endpoint(values["url"], values.get("description"), values["event_types"],
                                                 values.get("enabled", True),
                                                 self.wrapper.wrap(secret.encode(), secret_kid(endpoint_id)),
                                                 endpoint_id)
        audit.record("webhook.created", actor=actor.label, endpoint_id=endpoint.id, url=endpoint.url,
                     event_types=endpoint.event_types)
        return endpoint, secret

    def list(self, *, after: list | None = None, limit: int = DEFAULT_LIMIT) -> Page:
        check_limit(limit)
        key = None
        if after is not None:
            try:
                key = (dt.datetime.fromisoformat(after[0]), str(after[1]))
            except (TypeError, ValueError, IndexError, KeyError):
                raise Invalid({"cursor": "not a cursor of this list"}) from None
        rows = self.webhooks.endpoints(key, limit + 1)
        return page_of(rows, limit, lambda e: [e.created_at.isoformat(), e.id])

    def get(self, endpoint_id) -> Endpoint:
        found = self.webhooks.endpoint(endpoint_id) if isinstance(endpoint_id, str) and len(endpoint_id) <= 36 \
            and "\0" not in endpoint_id else None
        if found is None:
            raise NotFound("webhook endpoint", str(endpoint_id)[:64])
        return found

    def update(self, actor: Actor, endpoint_id: str, changes: dict, version: str | None = None) -> Endpoint:
        """A merge patch of url, event_types, description, enabled; enabling again forgets the failures."""
        current = self.get(endpoint_id)
        check_version(version, endpoint_version(current))
        values = self._validated(changes, required=False)
        if values.get("enabled") is True:
            values.update(failing_since=None, disabled_reason=None)
        if not self.webhooks.update_endpoint(current.id, current.version, **values):
            self.get(current.id)
            raise PreconditionFailed()
        audit.record("webhook.updated", actor=actor.label, endpoint_id=current.id, changed=sorted(changes))
        if values.get("enabled") is True:
            self.worker.wake()
        return self.get(current.id)

    def delete(self, actor: Actor, endpoint_id: str, version: str | None = None) -> None:
        """The endpoint and its deliveries (their events stay for other endpoints until the purge)."""
        current = self.get(endpoint_id)
        check_version(version, endpoint_version(current))
        if not self.webhooks.delete_endpoint(current.id, current.version):
            self.get(current.id)
            raise PreconditionFailed()
        audit.record("webhook.deleted", actor=actor.label, endpoint_id=current.id)

    def rotate_secret(self, actor: Actor, endpoint_id: str, overlap_seconds=DEFAULT_OVERLAP,
                      version: str | None = None) -> tuple[Endpoint, str]:
        """A new secret, returned once; the current one keeps signing too (both signatures in
        webhook-signature) for overlap_seconds, so the receiver can deploy the new one first."""
        if type(overlap_seconds) is not int or not 0 <= overlap_seconds <= MAX_OVERLAP:
            raise Invalid({"overlap_seconds": f"an integer from 0 to {MAX_OVERLAP} (7 days)"})
        current = self.get(endpoint_id)
        check_version(version, endpoint_version(current))
        secret = signing.new_secret()
        until = utcnow() + dt.timedelta(seconds=overlap_seconds) if overlap_seconds else None
        if not self.webhooks.update_endpoint(
                current.id, current.version, secret=self.wrapper.wrap(secret.encode(), secret_kid(current.id)),
                previous_secret=current.secret if until else None, previous_secret_until=until):
            self.get(current.id)
            raise PreconditionFailed()
        audit.record("webhook.secret_rotated", actor=actor.label, endpoint_id=current.id,
                     overlap_seconds=overlap_seconds)
        return self.get(current.id), secret

    # -- deliveries ------------------------------------------------------------------
    def deliveries(self, endpoint_id: str, *, state: str | None = None, after: list | None = None,
                   limit: int = DEFAULT_LIMIT) -> Page:
        """Newest first; state: pending, delivered or failed."""
        check_limit(limit)
        endpoint = self.get(endpoint_id)
        if state is not None and state not in STATES:
            raise Invalid({"state": "one of " + ", ".join(STATES)})
        if after is not None and not (isinstance(after, list) and len(after) == 1 and type(after[0]) is int):
            raise Invalid({"cursor": "not a cursor of this list"})
        rows = self.webhooks.deliveries(endpoint.id, after[0] if after else None, limit + 1, state)
        return page_of(rows, limit, lambda d: [d.id])

    def delivery(self, endpoint_id: str, delivery_id) -> tuple[Delivery, list]:
        endpoint = self.get(endpoint_id)
        number = _number(delivery_id)
        found = self.webhooks.delivery(number) if number is not None else None
        if found is None or found.endpoint_id != endpoint.id:
            raise NotFound("delivery", str(delivery_id)[:20])
        return found, self.webhooks.attempts(found.id)

    def replay(self, actor: Actor, endpoint_id: str, delivery_id) -> Delivery:
        """Send the delivery's event again, as a new delivery due now (after the user's earlier ones)."""
        found, _ = self.delivery(endpoint_id, delivery_id)
        new_id_ = self.webhooks.replay(found.id, utcnow())
        if new_id_ is None:
            raise NotFound("delivery", str(delivery_id))
        audit.record("webhook.replayed", actor=actor.label, endpoint_id=found.endpoint_id, delivery_id=found.id,
                     event_id=found.event_id)
        self.worker.wake()
        return self.webhooks.delivery(new_id_)


def _number(value) -> int | None:
    if type(value) is int:
        return value if 0 < value < 2**31 else None
    if isinstance(value, str) and value.isdigit() and len(value) <= 10:
        return _number(int(value))
    return None
