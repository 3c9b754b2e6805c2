"""Standard Webhooks signatures (spec "Signature scheme", "Webhook headers"), made by the
`standardwebhooks` library: HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}` with a
`whsec_` secret of 32 random bytes (the spec asks 24 to 64). During a rotation's overlap the
previous secret signs too, and both signatures go space-separated in webhook-signature."""

from __future__ import annotations

import base64
import datetime as dt
import secrets

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def headers(signing_secrets: list[str], msg_id: str, sent_at: dt.datetime, body: bytes) -> dict:
    """The webhook-id, webhook-timestamp (the attempt's, in Unix seconds) and webhook-signature
    headers of one attempt, signed by every secret in `signing_secrets`."""
    signatures = " ".join(Webhook(secret).sign(msg_id, sent_at, body) for secret in signing_secrets)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signatures, "Content-Type": "application/json"}
