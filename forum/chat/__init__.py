"""Live chat rooms: Socket.IO namespace ``/chat``, pages under ``/chat/``."""
from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, Flask

bp = Blueprint("chat", __name__, url_prefix="/chat")

from forum.chat import live, views  # noqa: E402,F401

def init_app(app: Flask) -> None:
    from forum.chat.cache import RoomViews, UserViews
    from forum.chat.events import ChatNamespace
    from forum.chat.state import Presence, RateLimits
    from forum.chat.writer import SendWriter
    from forum.extensions import socketio

    redis_url = app.config.get("REDIS_URL")
    presence = Presence(redis_url, timeout=app.config["KINDRED_REDIS_TIMEOUT"])
    app.extensions["kindred_chat"] = SimpleNamespace(
        rooms=RoomViews(),
        users=UserViews(),
        writer=SendWriter(app, window=float(app.config["KINDRED_CHAT_BATCH_MS"]) / 1000,
                          audience=presence.local_count),
        presence=presence,
        rate=RateLimits(app.config.get("RATELIMIT_STORAGE_URI") or "memory://", app.config["KINDRED_CHAT_LIMIT"],
                        enabled=bool(app.config.get("RATELIMIT_ENABLED", True)),
                        timeout=app.config["KINDRED_REDIS_TIMEOUT"]),
    )
    # The namespace object holds no app: handlers find the app through the
    # request context. Register it once, however many apps the tests create
    # (later ``socketio.init_app`` calls re-register the stored handlers).
    if not any(isinstance(h, ChatNamespace) for h in socketio.namespace_handlers):
        socketio.on_namespace(ChatNamespace("/chat"))
