"""/dev/mailbox: the messages the development mailbox received (idp/accounts/dev_mailbox.py),
newest first, each readable with its links clickable. It exists only where that transport is
installed (the embedded default without SMTP); everywhere else, and in production, it is a 404."""

from __future__ import annotations

from flask import abort, make_response, render_template

from idp.accounts.dev_mailbox import DevMailbox
from idp.plumbing.context import services
from idp.web.blueprint import bp


def _mailbox() -> DevMailbox:
    transport = services().mailer.transport
    if not isinstance(transport, DevMailbox) or services().config.production:
        abort(404)
    return transport


def _page(html: str):
    response = make_response(html)
    response.headers["Cache-Control"] = "no-store"  # bodies hold link tokens
    return response


@bp.route("/dev/mailbox")
def dev_mailbox():
    return _page(render_template("dev_mailbox.html", messages=_mailbox().messages(), message=None))


@bp.route("/dev/mailbox/<message_id>")
def dev_mailbox_message(message_id: str):
    message = _mailbox().get(message_id)
    if message is None:
        abort(404)
    return _page(render_template("dev_mailbox.html", messages=None, message=message))
