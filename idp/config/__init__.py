"""One typed configuration object, read from 12-factor environment variables.

Names are the ones operators of the service this IdP replaces already use
(DATABASE_URL, REDIS_URL, JWT_ACCESS_EXPIRES, ...) plus ISSUER, SESSION_SECRET
and KEY_ENCRYPTION_KEY.
"""

from __future__ import annotations

import dataclasses
import os
from urllib.parse import urlparse

from idp.config.demo import DemoTry
from idp.config.providers import (  # noqa: F401  (part of this package's interface)
    ProviderConfig,
    _providers,
    parse_group_map,
    provider_config,
)
from idp.config.values import (  # noqa: F401  (part of this package's interface)
    _HEX_COLOR,
    ConfigError,
    _address,
    _algs,
    _bool,
    _duration_or_zero,
    _int,
    _metadata_fields,
    _networks,
    _origin,
    is_loopback_url,
    otlp_traces_endpoint,
    parse_duration,
)
from idp.plumbing.web_urls import web_origin


@dataclasses.dataclass(frozen=True)
class Config:
    issuer: str = "http://localhost:3001"  # a host name: browsers refuse an IP address as a WebAuthn RP ID
    port: int = 3001
    # Loopback unless told: a bare `idp serve` is reachable only through a proxy on the same host.
    # The image sets HOST=0.0.0.0, its network namespace being the boundary (docs/configuration.md).
    host: str = "127.0.0.1"
    metrics_host: str = ""  # METRICS_HOST; empty: the same address as HOST
    production: bool = False
    database_url: str = "sqlite:///data/idp.sqlite"
    redis_url: str | None = None  # None: the in-process store (embedded default)
    redis_prefix: str = "idp:"
    session_secret: str = ""
    key_encryption_key: str = ""
    log_level: str = "INFO"
    frontend_url: str = ""
    cors_origin: str = ""
    access_token_ttl: int = 15 * 60
    refresh_token_ttl: int = 7 * 86400
    id_token_ttl: int = 3600
    code_ttl: int = 60
    device_code_ttl: int = 600
    device_code_attempts: int = 10  # wrong user codes per account per window (RFC 8628 5.1)
    session_ttl: int = 8 * 3600
    interaction_ttl: int = 30 * 60
    client_cache_ttl: int = 10
    max_login_attempts: int = 5
    account_lock_time_ms: int = 900_000
    rate_limit_window_ms: int = 900_000
    rate_limit_max_requests: int = 100
    enable_audit_logs: bool = True
    metrics_enabled: bool = True
    metrics_token: str = ""  # set: /metrics on the main port too, behind this bearer token
    metrics_port: int = 9464  # gunicorn's master serves every worker's metrics here; 0: off
    trusted_proxies: tuple[str, ...] = ()  # whose X-Forwarded-* headers count: none unless configured
    workers: int = 0  # gunicorn workers; 0: 2 x CPUs + 1
    db_pool_size: int = 5
    signing_algs: tuple = ("RS256",)
    rsa_bits: int = 2048
    key_rotation_interval: int = 30 * 86400
    key_cache_seconds: float = 5.0
    jwks_max_age: int = 300
    drain_file: str = "/tmp/idp-draining"
    otel_traces_endpoint: str = ""  # OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT; empty: no tracing (observability/tracing.py)
    # Hosted account pages (issue 4)
    allow_registration: bool = True
    brand_name: str = "Identity"
    brand_logo_url: str = ""
    brand_primary_color: str = "#2457d6"
    smtp_host: str = ""  # empty: mail stays in the outbox (see idp/accounts/mail.py)
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_pass: str = ""
    smtp_timeout: float = 5.0
    email_from: str = "no-reply@localhost"
    email_verification_ttl: int = 24 * 3600
    password_reset_ttl: int = 3600
    # Outbound requests (jwks_uri, back-channel logout, sector_identifier_uri): see idp/plumbing/outbound.py.
    dpop_iat_window: int = 60  # RFC 9449 11.1: how old a DPoP proof may be
    dpop_require_nonce: bool = False  # RFC 9449 8, 9: server-provided nonces in every proof
    par_ttl: int = 60  # RFC 9126 2.2: a pushed request_uri's life
    require_par: bool = False  # RFC 9126 5: every client must push its authorization requests
    require_signed_request_object: bool = False  # RFC 9101 10.5: every client must send a signed request object
    registration_mode: str = "token"  # RFC 7591: open | token (an initial access token) | off
    outbound_allowed_hosts: tuple = ()
    outbound_timeout: float = 5.0
    outbound_max_bytes: int = 256 * 1024
    # Upstream federation (issue 5)
    providers: tuple[ProviderConfig, ...] = ()
    federation_timeout: float = 5.0
    # High availability (issue 18): the sentinels' own password (REDIS_URL may name a Sentinel
    # deployment or a Cluster, see idp/store/redis_client.py); a replica for lag-tolerant reads.
    redis_sentinel_password: str = ""
    database_read_url: str = ""
    # /authorize requests per client address per window (issue 30): each may park a request for
    # INTERACTION_TTL, so this bounds what one address can make the store hold
    authorize_rate_limit: int = 300
    authorize_rate_window: int = 60
    # admin API (issue 15): requests one admin client may make per window
    admin_api_rate_limit: int = 600
    admin_api_rate_window: int = 60
    # admin console (issue 30): a sign-in at most this old enters it; its own session's lifetime
    admin_console_max_age: int = 300
    admin_console_session_ttl: int = 3600
    # Retention and purge (issue 16): see docs/retention.md.
    refresh_token_retention: int = 7 * 86400  # an ended refresh-token family is kept this long
    one_time_token_retention: int = 86400  # used/expired verification, reset and initial access tokens
    mail_retention: int = 3 * 86400  # sent mail (body already erased)
    mail_failed_retention: int = 30 * 86400  # mail given up on
    audit_retention: int = 400 * 86400  # 0: audit events are kept forever
    purge_interval: int = 3600  # the in-app purge's period; 0: off (run `idp db purge` from a CronJob)
    purge_batch: int = 1000  # rows per DELETE (one short transaction each)
    # Passkeys (WebAuthn, issue 17): see docs/passkeys.md. The RP ID is the issuer's host.
    webauthn_origins: tuple[str, ...] = ()  # origins besides the issuer's that may run ceremonies
    webauthn_attestation: str = "none"  # none | direct (then only WEBAUTHN_ALLOWED_AAGUIDS models)
    webauthn_allowed_aaguids: tuple[str, ...] = ()
    webauthn_ceremony_ttl: int = 300  # a challenge's life, seconds
    passkey_reauth_window: int = 300  # adding a passkey needs a sign-in at most this old
    # Lazy migration (issue 32): the replaced service checks passwords of users not yet here.
    legacy_login_url: str = ""
    legacy_login_secret: str = ""
    legacy_login_timeout: float = 5.0
    user_import_max_bytes: int = 1024 ** 3  # an admin API / console upload (the CLI reads any size)
    # Set only by `idp demo` (no environment variable): its "try" flow and callback page (idp/config/demo.py)
    demo: DemoTry | None = None
    # Custom claims (issue 35): a user's app_metadata / user_metadata, each at most this many bytes of
    # JSON; the user_metadata members the account page lets a user edit, as (name, type, label).
    user_metadata_max_bytes: int = 16 * 1024
    user_metadata_fields: tuple = ()
    # Signed webhooks (issue 35, docs/webhooks.md)
    webhook_timeout: float = 15.0  # one attempt (Standard Webhooks recommends 15 to 30 s)
    webhook_disable_after: int = 5 * 86400  # an endpoint failing this long without a success is disabled; 0: never
    webhook_sweep: float = 5.0  # how often each process looks for due deliveries
    webhook_retention: int = 7 * 86400  # an event whose deliveries all ended is kept this long
    webhook_allow_loopback: bool = False  # development and tests only: http://127.0.0.1 endpoints

    @property
    def cookie_secure(self) -> bool:
        return self.issuer.startswith("https://")

    @property
    def longest_token_ttl(self) -> int:
        """What a retired key must outlive: every JWT it signed (refresh tokens are opaque)."""
        return max(self.access_token_ttl, self.id_token_ttl)

    @property
    def logo_origin(self) -> str | None:
        """The origin the CSP must allow for images when the logo is hosted elsewhere."""
        return web_origin(self.brand_logo_url)  # parsed and written again: it goes into a header

    @property
    def cors_origins(self) -> tuple[str, ...]:
        """CORS_ORIGIN: the comma-separated origins whose scripts may call /token, /userinfo and /revoke."""
        return tuple(o.strip().rstrip("/") for o in self.cors_origin.split(",") if o.strip())

    @property
    def uses_redis(self) -> bool:
        return bool(self.redis_url)

    @property
    def dev_mailbox(self) -> bool:
        """The embedded default without SMTP: mail goes to the console and /dev/mailbox
        (idp/accounts/dev_mailbox.py). Never in production, never with SMTP_HOST, never with Redis
        (several processes: a message would land in one of them)."""
        return not self.production and not self.smtp_host and not self.uses_redis

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> Config:
        env = os.environ if env is None else env
        port = _int("PORT", env.get("PORT", "3001"))
        production = overrides.get("production", env.get("IDP_ENV", "development").lower() == "production")
        values = dict(
            issuer=env.get("ISSUER", f"http://localhost:{port}").rstrip("/"),
            port=port,
            production=production,
            database_url=env.get("DATABASE_URL", cls.database_url),
            redis_url=env.get("REDIS_URL") or None,
            redis_prefix=env.get("REDIS_KEY_PREFIX", cls.redis_prefix),
            session_secret=env.get("SESSION_SECRET", ""),
            key_encryption_key=env.get("KEY_ENCRYPTION_KEY", ""),
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            frontend_url=env.get("FRONTEND_URL", ""),
            cors_origin=env.get("CORS_ORIGIN", ""),
            access_token_ttl=parse_duration("JWT_ACCESS_EXPIRES", env.get("JWT_ACCESS_EXPIRES", "15m")),
            refresh_token_ttl=parse_duration("JWT_REFRESH_EXPIRES", env.get("JWT_REFRESH_EXPIRES", "7d")),
            id_token_ttl=parse_duration("ID_TOKEN_EXPIRES", env.get("ID_TOKEN_EXPIRES", "1h")),
            session_ttl=parse_duration("SESSION_EXPIRES", env.get("SESSION_EXPIRES", "8h")),
            device_code_ttl=parse_duration("DEVICE_CODE_EXPIRES", env.get("DEVICE_CODE_EXPIRES", "10m")),
            max_login_attempts=_int("MAX_LOGIN_ATTEMPTS", env.get("MAX_LOGIN_ATTEMPTS", "5")),
            account_lock_time_ms=_int("ACCOUNT_LOCK_TIME_MS", env.get("ACCOUNT_LOCK_TIME_MS", "900000")),
            rate_limit_window_ms=_int("RATE_LIMIT_WINDOW_MS", env.get("RATE_LIMIT_WINDOW_MS", "900000")),
            rate_limit_max_requests=_int("RATE_LIMIT_MAX_REQUESTS", env.get("RATE_LIMIT_MAX_REQUESTS", "100")),
            enable_audit_logs=_bool("ENABLE_AUDIT_LOGS", env.get("ENABLE_AUDIT_LOGS", "true")),
            metrics_enabled=_bool("METRICS_ENABLED", env.get("METRICS_ENABLED", "true")),
            metrics_token=env.get("METRICS_TOKEN", ""),
            metrics_port=_int("METRICS_PORT", env.get("METRICS_PORT", "9464")),
            host=_address("HOST", env.get("HOST", "") or cls.host),
            metrics_host=_address("METRICS_HOST", env.get("METRICS_HOST", "")),
            # A forwarder trusted by default would let anyone behind any local hop choose their address
            # (rate-limit bucket, audit trail): production trusts none unless told; development, loopback.
            trusted_proxies=_networks("TRUSTED_PROXIES",
                                      env.get("TRUSTED_PROXIES", "" if production else "127.0.0.1,::1")),
            workers=_int("WEB_CONCURRENCY", env.get("WEB_CONCURRENCY", "0")),
            db_pool_size=_int("DB_POOL_SIZE", env.get("DB_POOL_SIZE", "5")),
            drain_file=env.get("DRAIN_FILE", cls.drain_file),
            dpop_iat_window=parse_duration("DPOP_IAT_WINDOW", env.get("DPOP_IAT_WINDOW", "60s")),
            dpop_require_nonce=_bool("DPOP_REQUIRE_NONCE", env.get("DPOP_REQUIRE_NONCE", "false")),
            par_ttl=parse_duration("PAR_EXPIRES", env.get("PAR_EXPIRES", "60s")),
            require_par=_bool("REQUIRE_PUSHED_AUTHORIZATION_REQUESTS", env.get("REQUIRE_PUSHED_AUTHORIZATION_REQUESTS", "false")),
            require_signed_request_object=_bool("REQUIRE_SIGNED_REQUEST_OBJECT",
                                                env.get("REQUIRE_SIGNED_REQUEST_OBJECT", "false")),
            registration_mode=env.get("REGISTRATION_MODE", "token").strip().lower(),
            outbound_allowed_hosts=tuple(h.strip().lower() for h in env.get("OUTBOUND_ALLOWED_HOSTS", "").split(",")
                                         if h.strip()),
            outbound_timeout=parse_duration("OUTBOUND_TIMEOUT", env.get("OUTBOUND_TIMEOUT", "5s")),
            outbound_max_bytes=_int("OUTBOUND_MAX_BYTES", env.get("OUTBOUND_MAX_BYTES", str(256 * 1024))),
            signing_algs=_algs(env.get("KEY_ALGORITHMS", "RS256")),
            rsa_bits=_int("KEY_RSA_BITS", env.get("KEY_RSA_BITS", "2048")),
            key_rotation_interval=parse_duration("KEY_ROTATION_INTERVAL", env.get("KEY_ROTATION_INTERVAL", "30d")),
            allow_registration=_bool("ALLOW_REGISTRATION", env.get("ALLOW_REGISTRATION", "true")),
            brand_name=env.get("BRAND_NAME", cls.brand_name).strip() or cls.brand_name,
            brand_logo_url=env.get("BRAND_LOGO_URL", "").strip(),
            brand_primary_color=env.get("BRAND_PRIMARY_COLOR", cls.brand_primary_color).strip(),
            smtp_host=env.get("SMTP_HOST", "").strip(),
            smtp_port=_int("SMTP_PORT", env.get("SMTP_PORT", "587")),
            smtp_user=env.get("SMTP_USER", ""),
            smtp_pass=env.get("SMTP_PASS", ""),
            smtp_timeout=parse_duration("SMTP_TIMEOUT", env.get("SMTP_TIMEOUT", "5s")),
            email_from=env.get("EMAIL_FROM", cls.email_from).strip(),
            federation_timeout=parse_duration("FEDERATION_TIMEOUT", env.get("FEDERATION_TIMEOUT", "5s")),
            # admin API (issue 15)
            admin_api_rate_limit=_int("ADMIN_API_RATE_LIMIT", env.get("ADMIN_API_RATE_LIMIT", "600")),
            admin_api_rate_window=parse_duration("ADMIN_API_RATE_WINDOW", env.get("ADMIN_API_RATE_WINDOW", "60s")),
            admin_console_max_age=parse_duration("ADMIN_CONSOLE_MAX_AGE", env.get("ADMIN_CONSOLE_MAX_AGE", "5m")),
            admin_console_session_ttl=parse_duration("ADMIN_CONSOLE_SESSION_EXPIRES",
                                                     env.get("ADMIN_CONSOLE_SESSION_EXPIRES", "1h")),
            authorize_rate_limit=_int("AUTHORIZE_RATE_LIMIT", env.get("AUTHORIZE_RATE_LIMIT", "300")),
            authorize_rate_window=parse_duration("AUTHORIZE_RATE_WINDOW", env.get("AUTHORIZE_RATE_WINDOW", "60s")),
        )
        values.update(  # high availability
            redis_sentinel_password=env.get("REDIS_SENTINEL_PASSWORD", ""),
            database_read_url=env.get("DATABASE_READ_URL", "").strip(),
            # Retention and purge (issue 16)
            refresh_token_retention=_duration_or_zero("REFRESH_TOKEN_RETENTION", env.get("REFRESH_TOKEN_RETENTION", "7d")),
            one_time_token_retention=_duration_or_zero("ONE_TIME_TOKEN_RETENTION",
                                                       env.get("ONE_TIME_TOKEN_RETENTION", "1d")),
            mail_retention=_duration_or_zero("MAIL_RETENTION", env.get("MAIL_RETENTION", "3d")),
            mail_failed_retention=_duration_or_zero("MAIL_FAILED_RETENTION", env.get("MAIL_FAILED_RETENTION", "30d")),
            audit_retention=_duration_or_zero("AUDIT_RETENTION", env.get("AUDIT_RETENTION", "400d")),
            purge_interval=_duration_or_zero("PURGE_INTERVAL", env.get("PURGE_INTERVAL", "1h")),
            purge_batch=_int("PURGE_BATCH", env.get("PURGE_BATCH", "1000")),
            # Passkeys (issue 17)
            webauthn_origins=tuple(o.strip().rstrip("/") for o in env.get("WEBAUTHN_ORIGINS", "").split(",")
                                   if o.strip()),
            webauthn_attestation=env.get("WEBAUTHN_ATTESTATION", "none").strip().lower(),
            webauthn_allowed_aaguids=tuple(a.strip().lower() for a in env.get("WEBAUTHN_ALLOWED_AAGUIDS", "")
                                           .split(",") if a.strip()),
            webauthn_ceremony_ttl=parse_duration("WEBAUTHN_CEREMONY_TTL", env.get("WEBAUTHN_CEREMONY_TTL", "5m")),
            passkey_reauth_window=parse_duration("PASSKEY_REAUTH_WINDOW", env.get("PASSKEY_REAUTH_WINDOW", "5m")),
        )
        values.update(  # lazy migration (issue 32, idp/migration/legacy.py)
            legacy_login_url=env.get("LEGACY_LOGIN_URL", "").strip(),
            legacy_login_secret=env.get("LEGACY_LOGIN_SECRET", ""),
            legacy_login_timeout=parse_duration("LEGACY_LOGIN_TIMEOUT", env.get("LEGACY_LOGIN_TIMEOUT", "5s")),
            user_import_max_bytes=_int("USER_IMPORT_MAX_BYTES", env.get("USER_IMPORT_MAX_BYTES", str(1024 ** 3))),
            user_metadata_max_bytes=_int("USER_METADATA_MAX_BYTES", env.get("USER_METADATA_MAX_BYTES", "16384")),
            user_metadata_fields=_metadata_fields(env.get("USER_METADATA_FIELDS", "")),
        )
        values.update(  # signed webhooks (issue 35)
            webhook_timeout=parse_duration("WEBHOOK_TIMEOUT", env.get("WEBHOOK_TIMEOUT", "15s")),
            webhook_disable_after=_duration_or_zero("WEBHOOK_DISABLE_AFTER", env.get("WEBHOOK_DISABLE_AFTER", "5d")),
            webhook_sweep=parse_duration("WEBHOOK_SWEEP", env.get("WEBHOOK_SWEEP", "5s")),
            webhook_retention=_duration_or_zero("WEBHOOK_RETENTION", env.get("WEBHOOK_RETENTION", "7d")),
            webhook_allow_loopback=_bool("WEBHOOK_ALLOW_LOOPBACK", env.get("WEBHOOK_ALLOW_LOOPBACK", "false")),
        )
        values["otel_traces_endpoint"] = otlp_traces_endpoint(env)  # issue 35: OpenTelemetry's own variables
        issuer = values["issuer"]
        values["providers"] = _providers(env, overrides.get("issuer", issuer))
        values.update(overrides)
        config = cls(**values)
        config.validate()
        return config

    def validate(self) -> None:
        """Refuse unsafe settings; in production refuse missing or weak secrets."""
        parsed = urlparse(self.issuer)
        if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.query or parsed.fragment:
            raise ConfigError(f"ISSUER: {self.issuer!r} is not an absolute http(s) URL without query or fragment")
        if self.redis_url:
            from idp.store.redis_client import RedisUrlError, parse

            try:
                parse(self.redis_url)
            except RedisUrlError as exc:
                raise ConfigError(str(exc)) from None
        if self.registration_mode not in ("open", "token", "off"):
            raise ConfigError(f"REGISTRATION_MODE: {self.registration_mode!r} (use open, token or off)")
        if self.rsa_bits not in (2048, 3072, 4096):
            raise ConfigError("KEY_RSA_BITS: must be 2048, 3072 or 4096")
        if self.key_rotation_interval <= self.longest_token_ttl + self.jwks_max_age:
            raise ConfigError("KEY_ROTATION_INTERVAL: must outlast the longest token plus the JWKS cache lifetime")
        if not 2 <= self.user_metadata_max_bytes <= 1024 * 1024:
            raise ConfigError("USER_METADATA_MAX_BYTES: between 2 and 1048576 bytes")
        if not 1 <= self.purge_batch <= 100_000:
            raise ConfigError("PURGE_BATCH: between 1 and 100000 rows")
        if not _HEX_COLOR.match(self.brand_primary_color):
            # It is written into /brand.css: anything but a colour could inject CSS.
            raise ConfigError(
                f"BRAND_PRIMARY_COLOR: expected a hex colour like #2457d6, got {self.brand_primary_color!r}")
        if self.brand_logo_url and not (self.brand_logo_url.startswith("/") and not self.brand_logo_url.startswith("//")
                                        or web_origin(self.brand_logo_url) is not None):
            raise ConfigError("BRAND_LOGO_URL: expected an absolute http(s) URL with a valid host, "
                              "or a path starting with /")
        if "@" not in self.email_from or any(c in self.email_from for c in "\r\n"):
            raise ConfigError(f"EMAIL_FROM: expected an email address, got {self.email_from!r}")
        if self.webhook_allow_loopback and self.production:
            raise ConfigError("WEBHOOK_ALLOW_LOOPBACK: development and tests only (it lets webhooks reach 127.0.0.1)")
        if not 1 <= self.webhook_timeout <= 60:
            raise ConfigError("WEBHOOK_TIMEOUT: 1s to 60s")
        if not 1 <= self.admin_console_max_age <= 3600 or not 60 <= self.admin_console_session_ttl <= 12 * 3600:
            raise ConfigError("ADMIN_CONSOLE_MAX_AGE: 1s to 1h; ADMIN_CONSOLE_SESSION_EXPIRES: 1m to 12h")
        for origin in self.cors_origins:
            # An origin, exactly (RFC 6454 6.2): scheme://host[:port]; no wildcard, since each origin
            # listed may use the token endpoint from a browser.
            if _origin(origin) != origin:
                raise ConfigError(f"CORS_ORIGIN: {origin!r} is not an origin like https://app.example.com")
            if self.production and not origin.startswith("https://") and not is_loopback_url(origin):
                raise ConfigError(f"CORS_ORIGIN: {origin!r} must be https in production")
        frontend = urlparse(self.frontend_url)
        if self.frontend_url and (frontend.scheme not in ("http", "https") or not frontend.hostname):
            raise ConfigError(f"FRONTEND_URL: {self.frontend_url!r} is not an absolute http(s) URL")
        if self.webauthn_attestation not in ("none", "direct"):
            raise ConfigError(f"WEBAUTHN_ATTESTATION: {self.webauthn_attestation!r} (use none or direct)")
        if self.webauthn_attestation == "direct" and not self.webauthn_allowed_aaguids:
            raise ConfigError("WEBAUTHN_ALLOWED_AAGUIDS: required with WEBAUTHN_ATTESTATION=direct")
        for origin in self.webauthn_origins:
            if _origin(origin) != origin:
                raise ConfigError(f"WEBAUTHN_ORIGINS: {origin!r} is not an origin like https://login.example.com")
        legacy = urlparse(self.legacy_login_url)
        if self.legacy_login_url and (legacy.scheme not in ("http", "https") or not legacy.hostname
                                      or (legacy.scheme == "http" and not is_loopback_url(self.legacy_login_url))):
            raise ConfigError("LEGACY_LOGIN_URL: an https URL (plain http only on loopback)")
        if self.legacy_login_url and len(self.legacy_login_secret) < 16:
            raise ConfigError("LEGACY_LOGIN_SECRET: required with LEGACY_LOGIN_URL (at least 16 characters)")
        names = [p.name for p in self.providers]
        if len(names) != len(set(names)):
            raise ConfigError("OIDC_PROVIDERS: two providers have the same name")
        for provider in self.providers:
            where = f"OIDC_PROVIDERS ({provider.name})" if provider.kind == "oidc" else f"{provider.name.upper()}_*"
            for url in (provider.callback_url, provider.discovery_url, provider.authorize_url, provider.token_url,
                        provider.userinfo_url, provider.jwks_url, provider.api_url):
                if url and (urlparse(url).scheme not in ("http", "https") or not urlparse(url).hostname
                            or urlparse(url).fragment):
                    raise ConfigError(f"{where}: {url!r} is not an absolute http(s) URL")
                if url and self.production and urlparse(url).scheme != "https" and not is_loopback_url(url):
                    raise ConfigError(f"{where}: {url!r} must be https in production")
        if not self.production:
            return
        if self.demo is not None:
            raise ConfigError("the demo's callback page is for `idp demo` only, never in production")
        if parsed.scheme != "https" and not is_loopback_url(self.issuer):
            raise ConfigError("ISSUER: must be https in production (OpenID Connect Discovery 1.0 section 3)")
        secrets = [("SESSION_SECRET", self.session_secret), ("KEY_ENCRYPTION_KEY", self.key_encryption_key)]
        if self.metrics_token:  # optional, but when set it guards the metrics: no weak token
            secrets.append(("METRICS_TOKEN", self.metrics_token))
        for name, value in secrets:
            if len(value) < 32 or len(set(value)) < 10:
                raise ConfigError(f"{name}: missing or weak (need at least 32 random characters)")
        if not self.redis_url:
            raise ConfigError("REDIS_URL: required in production (sessions and codes are shared by replicas)")
        if self.database_url.startswith("sqlite"):
            raise ConfigError("DATABASE_URL: production needs PostgreSQL, not SQLite")
