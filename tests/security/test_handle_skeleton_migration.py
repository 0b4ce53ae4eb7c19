"""The handle_skeleton migration fills the column for existing accounts; when
two old accounts already look alike, the older keeps the skeleton and the
unique constraint still holds."""
from __future__ import annotations

from flask_migrate import upgrade
from sqlalchemy import text

from forum import create_app
from forum.auth.handles import skeleton
from forum.extensions import db
from tests.conftest import config_class
from tests.test_migrations import empty_database_url  # noqa: F401  (fixture)


def test_backfill_of_existing_handles(empty_database_url, app_config):  # noqa: F811
    app = create_app(config_class(app_config, SQLALCHEMY_DATABASE_URI=empty_database_url))
    with app.app_context():
        upgrade(revision="22a6f335b586")
        insert = text("INSERT INTO users (handle, handle_key, password_hash, role, created_at, approved_post_count,"
                      " is_deactivated) VALUES (:h, :k, 'x', 'member', CURRENT_TIMESTAMP, 0, false)")
        with db.engine.begin() as conn:
            for handle in ("river", "r\u0456ver", "Willow"):
                conn.execute(insert, {"h": handle, "k": handle.casefold()})
        upgrade()
        with db.engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT handle, handle_skeleton FROM users")).all())
        db.engine.dispose()
    assert rows == {"river": skeleton("river"), "r\u0456ver": None, "Willow": "willow"}
