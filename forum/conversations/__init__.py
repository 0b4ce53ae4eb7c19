"""Private support conversations between a member and the moderation team."""
from flask import Blueprint, Flask

bp = Blueprint("conversations", __name__, url_prefix="/conversations")

from forum.conversations import rights, sockets, views  # noqa: E402,F401


def init_app(app: Flask) -> None:
    from forum.conversations import services

    app.jinja_env.globals.update(unread_conversations=services.unread_for_member,
                                 conversations_waiting=services.waiting_for_team)
