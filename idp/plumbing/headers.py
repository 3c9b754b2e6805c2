"""Headers every response carries, and those of HTML pages (CSP with a per-request nonce)."""

from __future__ import annotations

import secrets

from flask import Flask, g, request

from idp.config import Config
from idp.plumbing.web_urls import web_origin

# Endpoints for clients, not browsers: their errors are OAuth JSON, not pages, and they never
# read the browser session (the app's error handlers and the session interface use this list).
JSON_PREFIXES = ("/token", "/userinfo", "/introspect", "/revoke", "/jwks.json", "/.well-known", "/ready",
                 "/device_authorization", "/connect/register", "/par", "/admin/api/")


def security_headers(config: Config) -> tuple[tuple[str, str], ...]:
    """On every response, pages and JSON alike (HSTS only when the issuer is served over TLS)."""
    headers = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"))
    if config.cookie_secure:
        headers += (("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),)
    return headers


def allow_images_from(url: str) -> bool:
    """Let this response's page load images from the origin of `url` too (a relying party's
    registered logo). The CSP gets the origin parsed and written again (scheme://host[:port]),
    never the text given; False (and nothing allowed) when `url` is not an http(s) URL."""
    origin = web_origin(url)
    if origin is None:
        return False
    g.setdefault("image_origins", set()).add(origin)
    return True


def csp_nonce() -> str:
    """This response's script nonce, made when a page first needs it (JSON answers never do)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(12)
    return g.csp_nonce


def install_headers(app: Flask, config: Config) -> None:
    @app.before_request
    def _session_store_down():
        error = request.environ.get("idp.session_error")
        if error is not None and not request.path.startswith(JSON_PREFIXES) and request.path != "/health":
            raise error  # the session store is down: a page that needs the session answers 503

    brand = {"name": config.brand_name, "logo_url": config.brand_logo_url,
             "registration": config.allow_registration}

    @app.context_processor
    def _template_globals():
        return {"csp_nonce": csp_nonce(), "brand": brand}

    # The brand's logo may live on another origin (BRAND_LOGO_URL): allow exactly that one.
    img_src = "img-src 'self' data:" + (f" {config.logo_origin}" if config.logo_origin else "")

    always = security_headers(config)

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        for name, value in always:
            headers.setdefault(name, value)
        if response.mimetype == "text/html":
            headers.setdefault("X-Frame-Options", "DENY")
            headers.setdefault(
                "Content-Security-Policy",
                f"default-src 'none'; script-src 'nonce-{g.get('csp_nonce', '')}'; style-src 'self'; "
                f"{img_src}{''.join(' ' + o for o in sorted(g.get('image_origins', ())))}; "
                "form-action *; frame-ancestors 'none'; base-uri 'none'",
            )
            headers.setdefault("Cache-Control", "no-store")
        return response
