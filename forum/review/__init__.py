"""The review area: queue, flags, claims, actions, live moderator alerts."""
from flask import Blueprint, Flask

bp = Blueprint("review", __name__, url_prefix="/review")

from forum.review import sockets, views  # noqa: E402,F401


def init_app(app: Flask) -> None:
    from forum.review import display

    display.init_app(app)
