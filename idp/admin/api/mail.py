"""/admin/api/v1/mail: the outbox's status and a retry that does not wait for the backoff, as
`idp mail status` and `idp mail retry` (issue 15); idp/administration/mail.py does both.
Message bodies and links (they hold tokens) never leave through here."""

from __future__ import annotations

from flask import jsonify, request

from idp.admin.api.framework import READ, WRITE, bp, current_actor, json_body, requires
from idp.administration.mail import MailAdmin
from idp.plumbing.context import services

RETRY_FIELDS = {"id": (str,)}


@bp.get("/mail/status")
@requires(READ)
def mail_status():
    """Counts by status, the oldest pending message's age in seconds, the recent failures."""
    return jsonify(MailAdmin(services()).status().as_dict())


@bp.post("/mail/retry")
@requires(WRITE)
def mail_retry():
    """{"id": …} optional: every pending message (or that one) is sent now, backoff ignored (202:
    the sender thread sends them). 409 for a message sent or given up."""
    body = json_body(RETRY_FIELDS) if request.get_data() else {}
    count = MailAdmin(services()).retry(current_actor(), body.get("id"))
    return jsonify(requeued=count), 202
