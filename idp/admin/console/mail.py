"""The mail outbox, as `idp mail status` and `idp mail retry` (and the admin API's /mail) show and
do it: counts by status, the oldest pending message's age, the recent failures (recipient domain
and SMTP error with addresses masked: never a body or a link, they hold tokens), and a retry of
every pending message that does not wait for the backoff."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for

import idp.admin.console.backend as backend
from idp.admin.console.blueprint import bp
from idp.admin.console.forms import ActionForm
from idp.i18n import gettext as _

RETRIED = "%(count)s pending messages will be sent now."


def age(seconds: int | None) -> str:
    """The oldest pending message's age, to the minute (— when nothing waits)."""
    if seconds is None:
        return "—"
    hours, minutes = divmod(seconds // 60, 60)
    return _("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes) if hours else \
        _("%(minutes)s min", minutes=minutes)


@bp.get("/mail")
def mail():
    status = backend.mail_status()
    retried = request.args.get("retried", "")
    return render_template("admin/mail.html", status=status, oldest=age(status.oldest_pending_seconds),
                           form=ActionForm(),
                           message=_(RETRIED, count=int(retried)) if retried.isascii() and retried.isdigit()
                           and len(retried) < 10 else None)


@bp.post("/mail/retry")
def mail_retry():
    """Not destructive (a pending message would go out anyway, later): CSRF only, no confirmation."""
    if not ActionForm().validate_on_submit():
        abort(400)
    count = backend.retry_mail(g.admin)
    return redirect(url_for("admin.mail", retried=count))
