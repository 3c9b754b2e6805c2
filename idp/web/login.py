"""The login page: email and password, one generic error, a lock after repeated failures.
A disabled account is named as such only after its password was verified (issue 34): the person
who knows it learns why they cannot sign in; a guess still gets the generic error.

Exactly one password hash per attempt (argon2 runs for unknown emails too, so timing
reveals nothing), none while the account is locked. Then, if the account has a second
factor, the code page (login_mfa.py); otherwise the session starts here.
"""

from __future__ import annotations

import math
import re

from flask import redirect, render_template, request, session, url_for

from idp.accounts.passkeys import SIGN_IN
from idp.events import types as events
from idp.i18n import gettext as _
from idp.observability import audit
from idp.observability.metrics import LOGIN_FAILED
from idp.plumbing.context import services
from idp.migration import legacy, passwords
from idp.plumbing.security import hash_password
from idp.signin import authn, interactions
from idp.web.blueprint import bp
from idp.web.forms import FederatedStartForm, LoginForm
from idp.web.passkey_pages import offer, pop_message, second_factor_by_passkey

GENERIC_ERROR = "Incorrect email or password."
LOCKED_ERROR = "Too many failed attempts. Sign-in is paused for %(duration)s: try again later, or reset your password."
LEGACY_UNAVAILABLE = "Sign-in is temporarily unavailable. Try again in a few minutes."
UNVERIFIED_ERROR = "Confirm your email address first: we have sent you a new link."
PASSWORD_NEEDED = "Enter your password."
DISABLED_ERROR = "This account is disabled. Ask your administrator to enable it again."


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next", ""))
        form.email.data = request.args.get("login_hint", "")[:320]
    interaction_id, interaction = interaction_of(form)
    if interaction_id and interaction is None:
        return expired_request()

    def page(error=None, status=200, password_error=None):
        from idp.web.federation import login_providers, pending_link_notice

        return render_template("login.html", form=form, error=error or pop_message(), client=client_of(interaction),
                               providers=login_providers(), link_notice=pending_link_notice(),
                               federated_form=FederatedStartForm(), passkey=offer(SIGN_IN),
                               password_error=password_error, org_sso=services().org_connections.any()), status

    if not form.validate_on_submit():
        return page(status=400 if request.method == "POST" else 200)

    svc = services()
    email = form.email.data
    # The identifier step: an email of a domain an organization verified goes to its connection.
    from idp.web.org_connections import route_home_realm

    if not session.get("fed_link") and (routed := route_home_realm(email, interaction_id)) is not None:
        return routed
    if not form.password.data:
        return page(status=400, password_error=_(PASSWORD_NEEDED))
    if locked := svc.lockout.locked_for(email):
        audit.record("login.refused_locked")
        return locked_response(page, locked)
    user = svc.users.by_email(email)
    if user is None and svc.legacy_login is not None:  # lazy migration: the replaced service decides
        user, unavailable = legacy.move_in(svc.users, svc.legacy_login, email, form.password.data, hash_password)
        if unavailable:
            audit.record("login.legacy_unavailable")
            return page(_(LEGACY_UNAVAILABLE), 503)
        if user is not None:
            audit.record("user.moved_in", user_id=user.id, source="legacy_login")
    verdict = passwords.check(user.password_hash if user else None, form.password.data)
    if not verdict.ok:
        LOGIN_FAILED.inc()
        audit.record("login.failed", user_id=user.id if user else None)
        svc.events.emit_alone("user.sign_in_failed", events.sign_in_failed(
            user.id if user else None, "disabled" if verdict.ok else "credentials"), user_id=user.id if user else None)
        if lock := svc.lockout.failure(email):
            audit.record("login.locked", user_id=user.id if user else None, seconds=lock)
            if user is not None:
                svc.events.emit_alone("user.locked", events.locked(user.id, lock), user_id=user.id)
                svc.accounts.notify(user, "account_locked", count=svc.lockout.max_attempts,
                                    duration=duration(lock))
            return locked_response(page, lock)
        return page(_(GENERIC_ERROR), 401)

    if user.disabled:  # said only to whoever proved the password: a wrong one got the generic error above
        audit.record("login.refused_disabled", user_id=user.id)
        return page(_(DISABLED_ERROR), 403)
    svc.lockout.success(email)
    if not user.email_verified:
        audit.record("login.refused_unverified", user_id=user.id)
        if svc.store.add(f"verify-resent:{user.id}", "1", 60):  # at most one new link a minute
            svc.accounts.send_verification(user, interaction_id)
        return page(_(UNVERIFIED_ERROR), 403)
    if verdict.upgrade:  # an imported hash, or argon2 parameters changed since: upgrade once, now
        svc.users.replace_password_hash(user.id, user.password_hash, hash_password(form.password.data))
    if svc.mfa.is_enrolled(user.id) or second_factor_by_passkey(user.id, interaction):
        authn.begin_second_factor(user)
        return redirect(url_for("web.login_mfa", interaction=interaction_id))
    authn.start_session(user, ["pwd"])
    return authn.after_sign_in(interaction_id, safe_next(form.next.data))


NEXT_PAGES = re.compile(r"/device(\?user_code=[A-Za-z0-9-]{1,16})?|/account/(passkeys|mfa)"
                        r"|/invitations/accept\?token=[A-Za-z0-9_-]{20,64}")  # an organization's invitation


def safe_next(value: str | None) -> str | None:
    """Where to go after signing in without an authorization request: only the device page, the
    passkeys or two-step verification page after a re-authentication, or an invitation's page (an
    open redirect otherwise)."""
    return value if value and NEXT_PAGES.fullmatch(value) else None


def duration(seconds: int) -> str:
    return _("%(n)s min", n=math.ceil(seconds / 60)) if seconds >= 120 else _("%(n)s s", n=seconds)


def locked_response(page, seconds: int):
    body, _status = page(_(LOCKED_ERROR, duration=duration(seconds)), 429)
    return body, 429, {"Retry-After": str(seconds)}


def interaction_of(form) -> tuple[str | None, dict | None]:
    """The sign-in request a page works for: its id comes in the query on GET and in the form's
    hidden field on POST. (id, None) when the id is stale: the caller shows expired_request()."""
    if request.method == "GET":
        form.interaction.data = request.args.get("interaction", "")
    interaction_id = form.interaction.data or None
    return interaction_id, interactions.load(interaction_id) if interaction_id else None


def expired_request():
    return render_template("error.html", error="expired_request",
                           description="This sign-in request has expired. Start again from the application."), 400


def client_of(interaction):
    if not interaction:
        return None
    return services().clients.get(interaction["params"].get("client_id"))


@bp.get("/")
def home():
    user_id = session.get("uid")
    user = services().users.by_id(user_id) if user_id else None
    return render_template("home.html", user=user)
