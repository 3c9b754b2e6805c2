"""How an authorization response reaches the client: query (RFC 6749 4.1.2) or
form_post (OAuth 2.0 Form Post Response Mode), always with iss (RFC 9207 2)."""

from __future__ import annotations

from authlib.common.urls import add_params_to_uri
from flask import render_template

RESPONSE_MODES = ("query", "form_post")


def authorization_response(redirect_uri: str, fields: list, response_mode: str | None) -> tuple[int, str, list]:
    """(status, body, headers) in authlib's shape."""
    if response_mode == "form_post":
        html = render_template("form_post.html", action=redirect_uri, params=fields)
        return 200, html, [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")]
    return 302, "", [("Location", add_params_to_uri(redirect_uri, fields)), ("Cache-Control", "no-store")]
