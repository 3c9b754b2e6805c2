"""Per-IP and per-account request limits (flask-limiter) on sign-in, sign-up, reset, consent,
/authorize and /token.

RATE_LIMIT_MAX_REQUESTS per RATE_LIMIT_WINDOW_MS, counted in Redis (REDIS_URL, under the
deployment's key prefix) so every replica enforces one budget; the embedded default counts
in process memory. A refused request gets 429 with Retry-After.

Sign-up and reset requests count every POST (each may send an email). Sign-in, its second
factor, consent and /token count only refused requests: guessing is what they must slow down,
while an office behind one address signing in all morning, or a busy relying party redeeming
codes, must not be. /authorize and the other places a sign-in starts (SIGN_IN_STARTS) count
every request against a budget of their own (AUTHORIZE_RATE_LIMIT per AUTHORIZE_RATE_WINDOW):
each may park state in the store.

/token is the one limited endpoint on a hot path, so it has `TokenBudgets` (see there) instead of a
flask-limiter decorator: flask-limiter asks the storage before every request it may limit
(a Redis round trip and about a third of a client_credentials request's CPU), although a
budget spent only by refusals cannot be exhausted for an address that has not been refused.

Behind a proxy the app must see the client's address (request.remote_addr), or every
client shares the proxy's budget.
"""

from __future__ import annotations

import functools
import logging
import threading
import time

from flask import Flask, jsonify, make_response, render_template, request
from flask_limiter import Limiter, RateLimitExceeded
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, Storage
from limits.strategies import FixedWindowRateLimiter
from werkzeug.datastructures import Authorization

from idp.config import Config
from idp.plumbing.security import token_hash
from idp.store.redis_client import limiter_storage

# endpoint -> (the form carries the account's email: a per-account limit too, only failures count)
LIMITED_ENDPOINTS = {
    "web.login": (True, True),
    "web.login_mfa": (False, True),
    "web.login_passkey": (False, True),  # passkeys (issue 17): no email in the form, per IP only
    "web.login_mfa_passkey": (False, True),
    "web.register": (True, False),
    "web.register_passkey": (True, False),  # passkeys (issue 17): sign-up without a password
    "web.forgot_password": (True, False),
    "web.reset_password": (False, False),
    "web.consent": (False, True),  # signed in already: a refused answer (a stale or forged form) counts
}
# Where a sign-in starts, anyone may park state in the store (issue 30): /authorize an interaction
# (INTERACTION_TTL), the console's sign-in its login state, "Sign in with <provider>" a session
# holding the flow. Every request counts, GET or POST, per address: AUTHORIZE_RATE_LIMIT per
# AUTHORIZE_RATE_WINDOW for each of them.
SIGN_IN_STARTS = ("oauth.authorize", "admin.login", "web.federated_start")
TOO_MANY = "Too many attempts. Please wait a moment and try again."
log = logging.getLogger(__name__)


def client_ip() -> str:
    return "ip:" + (request.remote_addr or "unknown")


def account_key() -> str:
    return "account:" + token_hash((request.form.get("email") or "").strip().lower())[:32]


def refused(response) -> bool:
    return response.status_code >= 400


def only_on_limited_endpoints(app: Flask, limiter: Limiter) -> None:
    """flask-limiter hooks every request; here only a handful of endpoints are limited, and its
    per-request bookkeeping cost a fifth of a discovery or JWKS request. Its hooks run only there."""
    def gate(func, passthrough):
        def gated(*args):
            if request.endpoint in LIMITED_ENDPOINTS or request.endpoint in SIGN_IN_STARTS:
                return func(*args)
            return args[0] if passthrough else None
        return gated

    for hooks, passthrough in ((app.before_request_funcs, False), (app.after_request_funcs, True),
                               (app.teardown_request_funcs, False)):
        funcs = hooks.get(None, [])
        hooks[None] = [gate(f, passthrough) if getattr(f, "__self__", getattr(f, "args", (None,))[0]) is limiter
                       else f for f in funcs]


class FailureBudget:
    """A budget of refused requests per key (an address, a client, both), shared by every replica through the limiter's storage.

    The storage is asked only about addresses this process saw refused within the window: an
    address refused elsewhere first is checked here after its own first refusal here, so across
    N replicas a guesser gets at most N - 1 extra refusals per window. While the storage is
    unreachable the counts fall back to this process (as flask-limiter's in_memory_fallback)."""

    MAX_SUSPECTS = 100_000

    def __init__(self, storage: Storage, amount: int, window_s: int, scope: str):
        self.item = RateLimitItemPerSecond(amount, window_s, namespace="FAILURES")
        self.scope, self.window_s = scope, window_s
        self.shared = FixedWindowRateLimiter(storage)
        self.local = FixedWindowRateLimiter(MemoryStorage())
        self.suspects: dict[str, float] = {}  # key -> monotonic time its last counted refusal expires
        self.lock = threading.Lock()

    def _ask(self, method: str, key: str):
        try:
            return getattr(self.shared, method)(self.item, self.scope, key)
        except Exception as exc:  # Redis down: limiting degrades to this process, the request goes on
            log.warning("rate limit storage unreachable (%s): counting in process", type(exc).__name__)
            return getattr(self.local, method)(self.item, self.scope, key)

    def retry_after(self, key: str) -> int | None:
        """Seconds to wait when the budget of `key` is spent, else None."""
        until = self.suspects.get(key)
        if until is None or until < time.monotonic() or self._ask("test", key):
            return None
        stats = self._ask("get_window_stats", key)
        return max(1, int(stats.reset_time - time.time()))

    def spend(self, key: str) -> None:
        self._ask("hit", key)
        now = time.monotonic()
        with self.lock:
            if len(self.suspects) >= self.MAX_SUSPECTS:
                self.suspects = {k: t for k, t in self.suspects.items() if t > now}
            self.suspects[key] = now + self.window_s


def client_key(authorization: str | None, client_id: str | None) -> str:
    """The client a /token request names (HTTP Basic user name or the client_id parameter). Not yet
    authenticated, so it only picks a budget; hashed, so a long or odd value makes a short key."""
    auth = Authorization.from_header(authorization)
    named = (auth.username if auth is not None and auth.type == "basic" else None) or client_id
    return "client:" + token_hash((named or "")[:256])[:32]


class TokenBudgets:
    """/token's budgets of refused requests (issue 16), so that one relying party's wrong secret does
    not lock out every other client behind the same address (a NAT, a shared egress):

    - per (address, client): RATE_LIMIT_MAX_REQUESTS refusals per window: the misconfigured client,
      or a guesser of one client's secret from one address, is stopped; its neighbours are not;
    - per client, from any address: SPREAD times that: a guesser of one secret from many addresses;
    - per address, for any client: SPREAD times that: one address trying many clients.

    The per-client budget is the price of stopping a distributed guess: whoever knows a client_id can
    spend it (that client is refused until the window ends, other clients are not)."""

    SPREAD = 10

    def __init__(self, storage: Storage, amount: int, window_s: int):
        wide = amount * self.SPREAD
        self.budgets = (
            FailureBudget(storage, amount, window_s, "oauth.token"),  # (address, client)
            FailureBudget(storage, wide, window_s, "oauth.token.client"),
            FailureBudget(storage, wide, window_s, "oauth.token.address"),
        )

    def keyed(self, remote_addr: str | None, authorization: str | None, client_id: str | None) -> list:
        """Each budget with the caller's key in it (oauth/direct.py asks with the environ's values)."""
        address, client = "ip:" + (remote_addr or "unknown"), client_key(authorization, client_id)
        return list(zip(self.budgets, (address + "|" + client, client, address)))

    @staticmethod
    def retry_after(keyed: list) -> int | None:
        """Seconds to wait when any of the caller's budgets is spent, else None."""
        return next((wait for budget, key in keyed if (wait := budget.retry_after(key)) is not None), None)

    @staticmethod
    def spend(keyed: list, response) -> None:
        """After the answer: a refusal spends every budget of the caller (the view's guard, oauth/direct.py)."""
        if refused(response):
            for budget, key in keyed:
                budget.spend(key)

    def guard(self, view):
        """`view`, answering 429 while any budget of the caller is spent and spending all on each refusal."""
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            keyed = self.keyed(request.remote_addr, request.headers.get("Authorization"), request.form.get("client_id"))
            wait = self.retry_after(keyed)
            if wait is not None:
                return too_many(wait)
            response = make_response(view(*args, **kwargs))
            self.spend(keyed, response)
            return response
        return guarded


class ClientBudget:
    """Requests per window per authenticated client (the admin API: issue 15), counted in the
    limiter's storage so every replica shares one budget. spend(key) -> (seconds to wait or None,
    whether this is the window's first refusal: that one is worth an audit event)."""

    def __init__(self, storage: Storage, amount: int, window_s: int, scope: str):
        self.item = RateLimitItemPerSecond(amount, window_s, namespace="CLIENT")
        self.notice = RateLimitItemPerSecond(1, window_s, namespace="REFUSED")
        self.scope = scope
        self.shared = FixedWindowRateLimiter(storage)
        self.local = FixedWindowRateLimiter(MemoryStorage())

    def _ask(self, method: str, item, key: str):
        try:
            return getattr(self.shared, method)(item, self.scope, key)
        except Exception as exc:  # Redis down: the budget is counted in this process
            log.warning("rate limit storage unreachable (%s): counting in process", type(exc).__name__)
            return getattr(self.local, method)(item, self.scope, key)

    def spend(self, key: str) -> tuple[int | None, bool]:
        if self._ask("hit", self.item, key):
            return None, False
        stats = self._ask("get_window_stats", self.item, key)
        return max(1, int(stats.reset_time - time.time())), bool(self._ask("hit", self.notice, key))


def too_many(retry_after: int):
    if request.path.startswith("/token"):
        response = jsonify(error="too_many_requests", error_description=TOO_MANY)
        response.headers["Cache-Control"] = "no-store"
    else:
        response = make_response(render_template("error.html", error="too_many_requests", description=TOO_MANY))
    response.status_code = 429
    response.headers["Retry-After"] = str(retry_after)
    return response


def install(app: Flask, config: Config) -> Limiter:
    if config.redis_url:
        storage_uri, options = limiter_storage(config.redis_url, config.redis_sentinel_password, {
            "key_prefix": config.redis_prefix + "ratelimit", "socket_timeout": 1.0, "socket_connect_timeout": 1.0})
    else:
        storage_uri, options = "memory://", {}
    # headers_enabled would stamp the window's Retry-After on every response of these
    # endpoints (even a 200, even the lockout's own 429): we set it on our 429 only.
    # While Redis is down the limits fall back to per-process counters and a storage error
    # never fails the request (issue 9): limiting degrades, sign-in does not.
    limiter = Limiter(key_func=client_ip, app=app, storage_uri=storage_uri, storage_options=options,
                      headers_enabled=False, in_memory_fallback_enabled=bool(config.redis_url),
                      swallow_errors=True)
    only_on_limited_endpoints(app, limiter)
    window = max(1, config.rate_limit_window_ms // 1000)
    rule = f"{max(1, config.rate_limit_max_requests)} per {window} second"
    for endpoint, (has_email, failures_only) in LIMITED_ENDPOINTS.items():
        deduct_when = refused if failures_only else None
        view = app.view_functions[endpoint]
        view = limiter.limit(rule, methods=["POST"], deduct_when=deduct_when)(view)
        if has_email:
            view = limiter.limit(rule, methods=["POST"], key_func=account_key, deduct_when=deduct_when,
                                 exempt_when=lambda: not request.form.get("email"))(view)
        app.view_functions[endpoint] = view
    starts = f"{max(1, config.authorize_rate_limit)} per {max(1, config.authorize_rate_window)} second"
    for endpoint in SIGN_IN_STARTS:
        app.view_functions[endpoint] = limiter.limit(starts)(app.view_functions[endpoint])
    token_budgets = TokenBudgets(limiter.storage, max(1, config.rate_limit_max_requests), window)
    app.view_functions["oauth.token"] = token_budgets.guard(app.view_functions["oauth.token"])
    app.extensions["idp_token_budgets"] = token_budgets  # oauth/direct.py checks them before Flask
    app.extensions["idp_admin_budget"] = ClientBudget(limiter.storage, max(1, config.admin_api_rate_limit),
                                                      max(1, config.admin_api_rate_window), "admin.api")

    @app.errorhandler(RateLimitExceeded)
    def _too_many(exc):
        breached = limiter.current_limit
        return too_many(max(1, int(breached.reset_at - time.time())) if breached else 1)

    return limiter
