"""The chat area."""
from flask import Blueprint

bp = Blueprint("chat", __name__, url_prefix="/chat" or None)

from forum.chat import views  # noqa: E402,F401
