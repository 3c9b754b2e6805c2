"""The console's blueprint, in a module of its own so each page module registers its routes on it."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
