"""The app factory: config -> services -> authlib wiring -> blueprints -> headers and errors."""

from __future__ import annotations

import logging
import os

from authlib.oauth2.base import OAuth2Error
from flask import Flask, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from idp.admin.api.framework import PREFIX as ADMIN_API_PREFIX
from idp.admin.api.problems import for_status as admin_problem
from idp.config import Config
from idp.oauth.direct import DirectLane
from idp.oauth.published import PublishedDocuments
from idp.ops.purge_schedule import start_purge_schedule
from idp.observability.logs import install_request_id
from idp.observability.metrics import count_sessions_with, dependency_failed, install_metrics
from idp.observability.tracing import install as install_tracing
from idp.plumbing.cors import install_cors
from idp.plumbing.headers import JSON_PREFIXES, install_headers
from idp.plumbing.json_input import RequestJSONProvider
from idp.plumbing.proxy import TrustedProxyFix
from idp.services import Services, build_services, with_dev_secrets
from idp.signin.sessions import StoreSessionInterface, count_active_sessions
from idp.store.ephemeral import is_outage
from idp.store.users import count_by_password_scheme

TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "templates")
log = logging.getLogger("idp")

# TLS is enforced by ISSUER (https in production) and terminated by the proxy in
# front of us; authlib must not refuse the plain-HTTP hop behind that proxy.
os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")


class IdPFlask(Flask):
    """Flask, minus a cost paid a dozen times per request: `ensure_sync` inspects every hook and
    view for a coroutine on every call. There are no async views here, so each function's answer
    is remembered (functions are created once, at start-up). Request JSON is read with a parser
    that reports input nested too deep as malformed (idp/plumbing/json_input.py)."""

    json_provider_class = RequestJSONProvider

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync: dict = {}

    def ensure_sync(self, func):
        sync = self._sync.get(func)
        if sync is None:
            sync = self._sync[func] = super().ensure_sync(func)
        return sync


def create_app(config: Config | None = None, services: Services | None = None) -> Flask:
    if services is None:
        config = with_dev_secrets(config or Config.from_env())
        services = build_services(config)
    config = services.config

    app = IdPFlask(__name__, template_folder=TEMPLATES, static_folder=os.path.join(TEMPLATES, "static"))
    app.config.update(
        SECRET_KEY=config.session_secret,
        MAX_CONTENT_LENGTH=64 * 1024,  # every legitimate request here is small
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as its secret's cookie (idp/signin/sessions.py)
        WTF_CSRF_SSL_STRICT=False,  # SameSite=Lax and the token itself cover it; the proxy may hide the scheme
        PREFERRED_URL_SCHEME="https" if config.cookie_secure else "http",
    )
    app.extensions["idp"] = services
    # Before Flask: discovery and the JWKS (published.py), then, with the forwarded headers applied, the
    # token endpoint's code, refresh and client_credentials grants and introspection (direct.py);
    # everything else, and what those decline, in Flask.
    direct = DirectLane(app.wsgi_app, app, services, config.metrics_enabled)
    app.wsgi_app = PublishedDocuments(TrustedProxyFix(direct, config.trusted_proxies), services, config.metrics_enabled)
    app.session_interface = StoreSessionInterface(services.store, config.session_secret, config.session_ttl,
                                                  config.cookie_secure)

    from idp import i18n
    from idp.admin.api import bp as admin_api_bp
    from idp.admin.api import clients, keys  # noqa: F401  (their routes join admin_api_bp: issue 15)
    from idp.admin.console import bp as admin_console_bp
    from idp.oauth.blueprint import bp as oauth_bp
    from idp.oauth.server import build_server
    from idp.ops import bp as ops_bp
    from idp.plumbing import ratelimit
    from idp.web import bp as web_bp

    app.extensions["idp_oauth"] = build_server(app, services)
    allow_uploads(app, config.user_import_max_bytes)  # before CSRFProtect's hook reads a form
    csrf = CSRFProtect(app)
    csrf.exempt(oauth_bp)  # OAuth requests authenticate clients instead; they carry no browser session
    app.register_blueprint(oauth_bp)
    app.register_blueprint(web_bp)
    app.register_blueprint(ops_bp)
    csrf.exempt(admin_api_bp)  # bearer tokens, never a browser session (issue 15)
    app.register_blueprint(admin_api_bp)
    app.register_blueprint(admin_console_bp)
    if config.demo is not None and not config.production:  # only `idp demo` sets it (idp/config/demo.py)
        from idp.web.demo_callback import bp as demo_bp

        app.register_blueprint(demo_bp)

    install_request_id(app)
    install_tracing(app, services)  # OTEL_EXPORTER_OTLP_ENDPOINT: one span per request, around every lane
    count_sessions_with(count_active_sessions, count_by_password_scheme)
    install_metrics(app, config)
    install_headers(app, config)
    install_cors(app, config)
    install_error_handlers(app)
    i18n.install(app, config.cookie_secure)
    ratelimit.install(app, config)
    services.keys.ensure_signing_key()
    if config.dev_mailbox:
        from idp.accounts.dev_mailbox import DevMailbox

        services.mailer.transport = DevMailbox(config.issuer + "/dev/mailbox")
        log.warning("SMTP_HOST is not set: mail is printed here and kept at %s/dev/mailbox (development only)",
                    config.issuer)
    elif not config.smtp_host:
        log.warning("SMTP_HOST is not set: verification and reset emails wait in the outbox (idp mail status)")
    if not services.passkeys.enabled:
        log.warning("passkeys are off: the issuer's host %s is an IP address, which browsers refuse as a "
                    "WebAuthn RP ID (use a host name such as localhost)", services.passkeys.origins[0])
    services.mailer.start()
    services.webhook_worker.start()  # signed webhooks (issue 35): every process shares the outbox's work
    start_purge_schedule(services)  # retention (docs/retention.md); PURGE_INTERVAL=0 leaves it to a CronJob
    return app


def wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES)


def install_error_handlers(app: Flask) -> None:
    def respond(status: int, error: str, description: str):
        if request.path.startswith(ADMIN_API_PREFIX):
            return admin_problem(status, description)  # RFC 9457, as every admin API answer
        if wants_json():
            response = jsonify(error=error, error_description=description)
            response.status_code = status
        else:
            response = app.make_response((render_template("error.html", error=error, description=description), status))
        response.headers["Cache-Control"] = "no-store"
        if status == 503:
            response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(OAuth2Error)
    def _oauth(error: OAuth2Error):
        """An OAuth error that escaped an endpoint: the RFC's JSON (and WWW-Authenticate for bearer errors)."""
        error.redirect_uri = None  # never redirect from here: only the authorize endpoint may
        return current_app.extensions["idp_oauth"][0].handle_error_response(None, error)

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return respond(400, "invalid_request", "The form expired or was not sent by this site. Please try again.")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if exc.response is not None:  # authlib's ready-made OAuth error responses
            return exc.response
        names = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large", 429: "too_many_requests"}
        return respond(exc.code or 500, names.get(exc.code, "invalid_request"), exc.description or "")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        dependency = failed_dependency(exc)
        if dependency:
            dependency_failed(dependency)
            log.warning("%s unavailable: %s", dependency, type(exc).__name__)
            return respond(503, "temporarily_unavailable", "The service is briefly unavailable. Try again.")
        log.exception("unhandled error on %s %s", request.method, request.path)
        return respond(500, "server_error", "An unexpected error occurred.")


def failed_dependency(exc: Exception) -> str | None:
    """'database' or 'redis' when exc says that dependency could not be reached."""
    if isinstance(exc, PoolTimeout) or (isinstance(exc, DBAPIError) and (
            exc.connection_invalidated or isinstance(exc, (OperationalError, InterfaceError)))):
        return "database"
    return "redis" if is_outage(exc) else None


UPLOAD_ENDPOINTS = ("admin_api.create_user_import", "admin.user_import")


def allow_uploads(app, max_bytes: int) -> None:
    """The user-import endpoints (issue 32) take files far over the 64 KiB every other request is
    held to: their own limit, set before anything reads the body."""
    from flask import request

    @app.before_request
    def _upload_limit():
        if request.endpoint in UPLOAD_ENDPOINTS:
            request.max_content_length = max_bytes

