"""The hosted pages' blueprint, in a module of its own so each page module can register its
routes on it without importing the package that imports every page."""

from flask import Blueprint

bp = Blueprint("web", __name__)
