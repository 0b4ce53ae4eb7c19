"""The auth area."""
from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth" or None)

from forum.auth import views  # noqa: E402,F401
