"""The pages area."""
from flask import Blueprint

bp = Blueprint("pages", __name__, url_prefix="" or None)

from forum.pages import views  # noqa: E402,F401
