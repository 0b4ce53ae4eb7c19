"""Notifications: a member's own list (forum.notify.services), the header count, live notices."""
from flask import Blueprint, Flask

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

from forum.notify import views  # noqa: E402,F401


def init_app(app: Flask) -> None:
    from flask_login import current_user

    from forum.conversations import services as conversations
    from forum.notify import services

    if services.on_conversation_message not in conversations.MEMBER_NOTIFIERS:
        conversations.MEMBER_NOTIFIERS.append(services.on_conversation_message)

    def unread_notifications() -> int:
        return services.unread_count(current_user.id) if current_user.is_authenticated else 0

    app.jinja_env.globals.update(unread_notifications=unread_notifications)
