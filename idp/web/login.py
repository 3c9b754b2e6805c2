"""The login page: email and password, one generic error, a new session id on success."""

from __future__ import annotations

import re
import time

from flask import redirect, render_template, request, session, url_for

from .. import audit, interactions
from ..context import services
from ..security import hash_password, password_needs_rehash, random_token, verify_password
from . import bp
from .forms import LoginForm

GENERIC_ERROR = "Incorrect email or password."


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.interaction.data = request.args.get("interaction", "")
        form.next.data = safe_next(request.args.get("next", ""))
        form.email.data = request.args.get("login_hint", "")[:320]
    interaction_id = form.interaction.data or None
    interaction = interactions.load(interaction_id) if interaction_id else None
    if interaction_id and interaction is None:
        return render_template("error.html", error="expired_request",
                               description="This sign-in request has expired. Start again from the application."), 400

    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            start_session(user)
            if interaction_id:
                return redirect(url_for("oauth.authorize", interaction=interaction_id))
            return redirect(safe_next(form.next.data) or url_for("web.home"))
        return render_template("login.html", form=form, error=GENERIC_ERROR, client=client_of(interaction)), 401
    status = 400 if request.method == "POST" else 200
    return render_template("login.html", form=form, error=None, client=client_of(interaction)), status


NEXT_PAGES = re.compile(r"/device(\?user_code=[A-Za-z0-9-]{1,16})?")


def safe_next(value: str | None) -> str | None:
    """Where to go after signing in without an authorization request: only the device page
    (an open redirect otherwise)."""
    return value if value and NEXT_PAGES.fullmatch(value) else None


def authenticate(email: str, password: str):
    svc = services()
    user = svc.users.by_email(email)
    # verify_password runs argon2 even for unknown accounts, so timing reveals nothing.
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or user.disabled:
        audit.record("login.failed", user_id=user.id if user else None)
        return None
    audit.record("login.succeeded", user_id=user.id)
    if password_needs_rehash(user.password_hash):
        svc.users.set_password_hash(user.id, hash_password(password))
    return user


def start_session(user) -> None:
    session.clear()
    session.regenerate()
    session["uid"] = user.id
    session["auth_time"] = int(time.time())
    session["amr"] = ["pwd"]
    session["sid"] = random_token(16)  # the OIDC session id (sid claim), not the cookie's id


def client_of(interaction):
    if not interaction:
        return None
    return services().clients.get(interaction["params"].get("client_id"))


@bp.get("/")
def home():
    user_id = session.get("uid")
    user = services().users.by_id(user_id) if user_id else None
    return render_template("home.html", user=user)
