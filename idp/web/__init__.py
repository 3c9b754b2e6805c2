"""Hosted pages: login, consent, logout and a minimal account page."""

from flask import Blueprint

bp = Blueprint("web", __name__)

from . import consent, device, login, logout  # noqa: E402,F401  (routes register on import)
