"""The review area."""
from flask import Blueprint

bp = Blueprint("review", __name__, url_prefix="/review" or None)

from forum.review import views  # noqa: E402,F401
