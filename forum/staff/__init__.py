"""The staff area."""
from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff" or None)

from forum.staff import views  # noqa: E402,F401
