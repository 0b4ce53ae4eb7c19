"""The boards area."""
from flask import Blueprint

bp = Blueprint("boards", __name__, url_prefix="/boards" or None)

from forum.boards import views  # noqa: E402,F401
