"""Accessors for the current app's services (one app factory; no module globals)."""

from flask import current_app


def services():
    return current_app.extensions["idp"]


def oauth_server():
    return current_app.extensions["idp_oauth"][0]


def bearer_protector():
    return current_app.extensions["idp_oauth"][1]
