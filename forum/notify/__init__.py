"""Notifications: a member's own list (forum.notify.services), the header count, live notices."""
from flask import Blueprint, Flask

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

from forum.notify import rights, views  # noqa: E402,F401


def init_app(app: Flask) -> None:
    from flask_login import current_user

    from forum.conversations import services as conversations
    from forum.notify import services

    if services.on_conversation_message not in conversations.MEMBER_NOTIFIERS:
        conversations.MEMBER_NOTIFIERS.append(services.on_conversation_message)

    def unread_notifications() -> int:
        return services.unread_count(current_user.id) if current_user.is_authenticated else 0

    from flask import request

    from forum.notify import follow

    def ignored_by_viewer() -> set[int]:
        """Once per request (a topic page asks for every post)."""
        if not current_user.is_authenticated:
            return set()
        if "kindred.ignored" not in request.environ:
            request.environ["kindred.ignored"] = follow.ignoring(current_user.id)
        return request.environ["kindred.ignored"]

    from forum import mail
    from forum.notify import email

    app.jinja_env.globals.update(unread_notifications=unread_notifications, ignored_by_viewer=ignored_by_viewer,
                                 notification_settings=lambda: email.settings_for(current_user.id),
                                 email_available=mail.enabled,
                                 topic_level=lambda topic_id: follow.level_for(current_user, topic_id),
                                 board_level=lambda board_id: follow.board_level_for(current_user, board_id),
                                 ignored_handles=lambda: follow.ignored_handles(current_user),
                                 topic_unread=lambda topics: follow.unread_counts(current_user, topics),
                                 is_ignoring=lambda member: follow.is_ignoring(current_user, member))
