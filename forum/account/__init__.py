"""The account area."""
from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account" or None)

from forum.account import views  # noqa: E402,F401
