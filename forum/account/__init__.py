"""The account area."""
from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account" or None)

from forum.account import views  # noqa: E402,F401
# The safety-contact section (review area) registers its routes here:
from forum.account import safety  # noqa: E402,F401
