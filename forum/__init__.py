"""Kindred: a moderated peer-support forum. ``create_app`` is the factory."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask

from config import Config, load_or_create_secret_key, model_settings, private_dir, validate, validate_settings

log = logging.getLogger(__name__)

# One blueprint package per area. Each exposes ``bp`` (and optionally
# ``init_app(app)`` for Socket.IO namespaces or hooks).
AREAS = ("pages", "auth", "account", "boards", "review", "staff", "chat", "rights", "conversations", "search", "notify")


def create_app(config: type | dict[str, Any] | None = None) -> Flask:
    validate_settings()
    app = Flask(
        __name__,
        instance_path=str(Config.INSTANCE_DIR),
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    private_dir(Path(app.config["INSTANCE_DIR"]))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(app.config["INSTANCE_DIR"])
    validate(app.config)

    from forum import dbtuning  # (SQLite WAL etc.; see the module)

    dbtuning.private_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dbtuning.engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    from forum import extensions as ext

    ext.db.init_app(app)
    # Batch mode lets Alembic alter tables on SQLite (it has no ALTER COLUMN).
    from forum.search import schema as search_schema

    # include_name: the search index's triggers and tables are not models.
    ext.migrate.init_app(app, ext.db, directory=str(app.root_path + "/../migrations"),
                         render_as_batch=True, compare_type=True, include_name=search_schema.include_name)
    ext.csrf.init_app(app)
    ext.limiter.init_app(app)
    ext.login_manager.init_app(app)
    ext.login_manager.login_view = "auth.login"
    ext.login_manager.login_message = "Please log in to continue."
    ext.login_manager.login_message_category = "info"

    from forum import models  # noqa: F401  (register tables)

    from forum.auth import sessions

    # The id is "<user id>:<session token>": a login ends when its row is revoked.
    ext.login_manager.user_loader(sessions.load)
    sessions.init_app(app)

    from forum import security, web

    security.init_app(app)
    web.init_app(app)

    import importlib

    for area in AREAS:
        module = importlib.import_module(f"forum.{area}")
        app.register_blueprint(module.bp)
        if hasattr(module, "init_app"):
            module.init_app(app)

    from forum import jobs

    jobs.init_app(app)

    # Socket.IO: threading mode (eventlet is deprecated upstream). With
    # REDIS_URL set, several processes share rooms through Redis pub/sub.
    # Flask-SocketIO keeps the client manager of the first app it was bound
    # to; drop it so this app gets a queue for its own REDIS_URL (or none).
    ext.socketio.server_options.pop("client_manager", None)
    ext.socketio.init_app(
        app,
        async_mode="threading",
        message_queue=app.config.get("REDIS_URL"),
        cors_allowed_origins=app.config.get("KINDRED_ALLOWED_ORIGINS") or None,
        manage_session=False,
        # Each socket's events run in the thread that already reads that
        # socket, one after another, instead of a new thread per event: under
        # load a thread per event piled up thousands of threads fighting for
        # the interpreter lock, and a member's events must not overtake each
        # other anyway. (Flask-SocketIO's test client sets the same.)
        async_handlers=False,
    )

    from forum import cli

    cli.init_app(app)

    import moderation

    # The engine's own length limits follow the forum's settings, so a text
    # the forum accepts is never blocked as too long by the screener.
    moderation.configure(moderation.ScreeningConfig.from_limits(
        post=app.config["KINDRED_MAX_POST_CHARS"], chat=app.config["KINDRED_MAX_CHAT_CHARS"],
        title=app.config["KINDRED_MAX_TITLE_CHARS"], models=model_settings(app.config)))
    if app.config.get("KINDRED_WARM_UP"):
        moderation.warm_up()
    if hops := app.config.get("KINDRED_PROXY_HOPS"):
        # Outermost, so Socket.IO's handshake sees the client's scheme and host too.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    return app
