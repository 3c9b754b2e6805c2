"""Entering the console: it is an OpenID Connect client of its own issuer (OIDC Core 3.1,
authorization code with PKCE S256, state and nonce; RFC 9700 2.1.1), not a reader of the
end-user session.

/admin/login sends the browser to /authorize; /admin/callback checks state against the cookie
that started it (RFC 9700 4.7.1), the `iss` parameter (RFC 9207), redeems the code at /token and
validates the ID token (signature with the issuer's own published keys, iss, aud, exp, nonce:
OIDC Core 3.1.3.7). Only then, and only for an administrator whose ID token says a second factor
was used (acr/amr), does the browser get a console session. Without MFA the console asks
once more with acr_values and prompt=login (step-up, OIDC Core 3.1.2.1) when the account has a
second factor to step up to; an administrator without one is told so at once, with the way to
add one, rather than shown the password form a second time. A non-administrator gets 403 and an
audit event. A member holding org:admin in an organization enters as that organization's
delegated administrator (issue 33; organization_access.py): their organizations' pages only,
every other console URL 404. Every console request checks the console session and the
administrators table.

A recent authentication, not an old one (issue 30, 10): the request carries
max_age=ADMIN_CONSOLE_MAX_AGE, so /authorize asks for the password (and second factor) again when
the end-user session's sign-in is older, and the callback refuses an ID token whose auth_time is
missing or older than that (OIDC Core 3.1.2.1 and 3.1.3.7 item 13): an administrator's sign-in of
hours ago, or a browser left signed in, does not enter the console.

The console's authority lives apart from the end-user session: its own server-side record
(`admin-session:<id>` in the ephemeral store) behind its own cookie (path /admin, HttpOnly,
SameSite=Strict), with its own lifetime ADMIN_CONSOLE_SESSION_EXPIRES. Nothing in the end-user
session grants it; it is still bound to that session (same user and OIDC sid), so signing out of
the IdP, or another user signing in in this browser, ends it too.
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import urlencode

from flask import g, redirect, render_template, request, session, url_for

from idp.accounts.mfa import ACR_MFA
import idp.admin.console.backend as backend
import idp.admin.console.organization_access as organization_access
from idp.admin.console.blueprint import bp
from idp.admin.console.forms import ConsoleSignOutForm
from idp.oauth.own_client import redeem_code, verified_id_token
from idp.observability import audit
from idp.plumbing.context import services
from idp.plumbing.security import random_token

LOGIN_COOKIE = "idp_admin_login"
LOGIN_TTL = 600  # seconds from /admin/login to the callback
CONSOLE_COOKIE = "idp_admin"  # the console session's id; its lifetime: ADMIN_CONSOLE_SESSION_EXPIRES (ASVS 3.3)
AUTH_TIME_LEEWAY = 30  # seconds of clock and transit between the sign-in and the callback's check
OPEN_ENDPOINTS = {"admin.login", "admin.callback"}
SAFE_NEXT = re.compile(r"/admin(/[A-Za-z0-9_\-/]*)?(\?[A-Za-z0-9_\-=&%.+]*)?")


def safe_next(value: str | None) -> str:
    return value if value and SAFE_NEXT.fullmatch(value) and "//" not in value else url_for("admin.overview")


@bp.before_request
def _administrators_only():
    """Every console page: the console's own flag, for the user signed in now, still an administrator."""
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    console = console_session()
    user_id = session.get("uid")
    if console is None or not user_id or console.get("uid") != user_id or console.get("sid") != session.get("sid"):
        end_console_session()
        wanted = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("admin.login", next=wanted))
    admin = backend.user(user_id)
    delegated = set() if admin is None or admin.disabled or backend.is_administrator(admin.id) \
        else organization_access.administered(admin.id)
    if admin is None or admin.disabled or not (delegated or backend.is_administrator(admin.id)):
        end_console_session()
        return refused(user_id, "not_administrator")
    g.admin = admin
    g.console_orgs = delegated or None  # a delegated administrator's organizations (issue 33); None: all
    if delegated:
        organization_access.require_delegation()
    return None


def console_session() -> dict | None:
    """The console session this browser's cookie names, or None (none, expired, ended)."""
    handle = request.cookies.get(CONSOLE_COOKIE, "")
    raw = services().store.get("admin-session:" + handle) if 0 < len(handle) <= 64 else None
    return json.loads(raw) if raw else None


def start_console_session(response, user_id: str, claims: dict) -> None:
    svc = services()
    handle, ttl = random_token(32), svc.config.admin_console_session_ttl
    svc.store.set("admin-session:" + handle, json.dumps({
        "uid": user_id, "sid": session.get("sid"), "acr": claims.get("acr"), "auth_time": claims.get("auth_time"),
        "until": int(time.time()) + ttl}), ttl)
    response.set_cookie(CONSOLE_COOKIE, handle, max_age=ttl, path="/admin", httponly=True, samesite="Strict",
                        secure=svc.config.cookie_secure)


def end_console_session(response=None) -> None:
    """Forget this browser's console session (server-side: the cookie alone is worth nothing after)."""
    handle = request.cookies.get(CONSOLE_COOKIE, "")
    if 0 < len(handle) <= 64:
        services().store.delete("admin-session:" + handle)
    if response is not None:
        response.delete_cookie(CONSOLE_COOKIE, path="/admin")


@bp.context_processor
def _console_globals():
    return {"admin": g.get("admin"), "console_sign_out": ConsoleSignOutForm(),
            "delegated_console": g.get("console_orgs") is not None}


def refused(user_id: str | None, reason: str, status: int = 403):
    audit.record("admin.refused", user_id=user_id, reason=reason, path=request.path[:200])
    return render_template("admin/refused.html", reason=reason), status


@bp.get("/login")
def login():
    # Checked at each sign-in, not once per process: a console client deleted or changed (through
    # the admin API, say) is put back before the browser is sent to /authorize. Idempotent.
    backend.ensure_console_client()
    return authorization_redirect(safe_next(request.args.get("next")), step_up=False)


def authorization_redirect(next_page: str, step_up: bool):
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    svc = services()
    state, nonce, verifier = random_token(24), random_token(24), random_token(48)
    svc.store.set("admin-login:" + state, json.dumps({"nonce": nonce, "verifier": verifier, "next": next_page,
                                                      "step_up": step_up}), LOGIN_TTL)
    params = {"response_type": "code", "client_id": backend.CONSOLE_CLIENT_ID, "scope": backend.CONSOLE_SCOPE,
              "redirect_uri": callback_uri(), "state": state, "nonce": nonce,
              "code_challenge": create_s256_code_challenge(verifier), "code_challenge_method": "S256"}
    params["max_age"] = str(svc.config.admin_console_max_age)  # a recent sign-in, whatever the session's age
    if step_up:
        params.update(acr_values=ACR_MFA, prompt="login")
    response = redirect(url_for("oauth.authorize") + "?" + urlencode(params))
    response.set_cookie(LOGIN_COOKIE, state, max_age=LOGIN_TTL, path="/admin", httponly=True, samesite="Lax",
                        secure=svc.config.cookie_secure)
    return response


def callback_uri() -> str:
    return services().config.issuer + "/admin/callback"


@bp.get("/callback")
def callback():
    import hmac

    svc = services()
    state = request.args.get("state", "")
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    raw = svc.store.take("admin-login:" + state) if state and len(state) <= 64 else None
    if raw is None or not hmac.compare_digest(state.encode(), cookie.encode()):
        return error("invalid_state", "This sign-in to the console expired or was not started in this browser.")
    pending = json.loads(raw)
    if request.args.get("iss") != svc.config.issuer:  # RFC 9207 2.4: a mix-up defence
        return error("invalid_request", "The authorization response did not come from this issuer.")
    if request.args.get("error"):
        if request.args["error"] == "unmet_authentication_requirements":
            return refused(session.get("uid"), "second_factor_missing")
        return error(request.args["error"][:64], "Signing in to the console did not complete.")
    claims = redeem(request.args.get("code", ""), pending)
    if claims is None or claims.get("sub") != session.get("uid"):
        return error("invalid_grant", "The console could not verify this sign-in. Try again.")
    user = backend.user(claims["sub"])
    deployment = user is not None and not user.disabled and backend.is_administrator(user.id)
    if not deployment and (user is None or user.disabled or not organization_access.administered(user.id)):
        return refused(claims["sub"], "not_administrator")
    if not recent(claims.get("auth_time")):
        audit.record("admin.refused", user_id=user.id, reason="authentication_not_recent", path=request.path)
        return error("login_required", "The console needs a recent sign-in. Sign in again.")
    if claims.get("acr") != ACR_MFA or "otp" not in (claims.get("amr") or []):
        # Without a second factor a step-up could only show the password form again and then refuse:
        # say so after the first password, with the way to add one (issue 34).
        if pending["step_up"] or not backend.has_console_second_factor(user.id):
            return refused(user.id, "second_factor_missing")
        audit.record("admin.step_up", user_id=user.id)
        return authorization_redirect(pending["next"], step_up=True)
    audit.record("admin.signed_in", user_id=user.id, amr=claims.get("amr"))
    landing = safe_next(pending["next"])
    if not deployment and not landing.startswith(url_for("admin.organizations")):
        landing = url_for("admin.organizations")  # a delegated administrator's pages: their organizations'
    response = redirect(landing)
    end_console_session()  # a console session this browser held before is replaced, not kept
    start_console_session(response, user.id, claims)
    response.delete_cookie(LOGIN_COOKIE, path="/admin")
    return response


def recent(auth_time) -> bool:
    """OIDC Core 3.1.3.7 item 13: with max_age requested, auth_time is required and must be recent."""
    if type(auth_time) is not int:
        return False
    age = time.time() - auth_time
    return -AUTH_TIME_LEEWAY <= age <= services().config.admin_console_max_age + AUTH_TIME_LEEWAY


def redeem(code: str, pending: dict) -> dict | None:
    """The code at this issuer's token endpoint, then the ID token's checks (idp/oauth/own_client.py)."""
    status, body = redeem_code(backend.CONSOLE_CLIENT_ID, backend.console_client_secret(), code, callback_uri(),
                               pending["verifier"])
    if status != 200 or "id_token" not in body:
        return None
    return verified_id_token(body["id_token"], backend.CONSOLE_CLIENT_ID, pending["nonce"])


def error(code: str, description: str):
    return render_template("error.html", error=code, description=description), 400


@bp.post("/logout")
def logout():
    """Leave the console; the end-user session (and its sign-in) stays."""
    response = redirect(url_for("web.home"))
    if ConsoleSignOutForm().validate_on_submit():
        end_console_session(response)
        audit.record("admin.signed_out", user_id=g.admin.id)
    return response
