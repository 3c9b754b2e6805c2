"""Signed webhooks (issue 35, the Standard Webhooks specification): the events the IdP reports
(types.py), the outbox they are written to in the transaction of the change (outbox.py), their
signing (signing.py), the delivery worker (delivery.py) and the administration of the endpoints
that receive them (admin.py). Documented for receivers in docs/webhooks.md."""
