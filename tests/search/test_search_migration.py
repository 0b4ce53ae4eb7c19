"""The migration sets the search index up (and indexes posts written before it)."""
from __future__ import annotations

from flask_migrate import downgrade, upgrade

from forum import create_app
from forum.extensions import db
from forum.search import services as search
from tests.conftest import config_class, make_board, make_user, post_topic
from tests.test_migrations import empty_database_url  # noqa: F401  (fixture)


# The revision before the search index.
BEFORE = "f7a3d2c9b1e5"


class _Nobody:
    is_authenticated = False


def test_migration_indexes_old_and_new_posts(empty_database_url, app_config):  # noqa: F811
    app = create_app(config_class(app_config, SQLALCHEMY_DATABASE_URI=empty_database_url))
    with app.app_context():
        # The old post is written with today's models (which an older schema
        # can't hold), then the index and everything after it is taken away:
        # the migration must index a post it never saw written.
        upgrade()
        board = make_board()
        old = post_topic(make_user("Early"), board, title="Before search", body="An albatross before the index.")
        db.session.rollback()  # no open read: PostgreSQL's ALTER TABLE would wait for it
        downgrade(revision=BEFORE)
        upgrade()
        new = post_topic(make_user("Later"), board, title="After search", body="An albatross after the index.")
        found = search.search(_Nobody(), search.SearchQuery(text="albatross", order="newest")).hits
        assert [h.post.id for h in found] == [new.post.id, old.post.id]
        db.session.rollback()  # end the read, so the downgrade can alter posts
        downgrade(revision=BEFORE)
        upgrade()
        assert len(search.search(_Nobody(), search.SearchQuery(text="albatross")).hits) == 2
        db.session.remove()
        db.engine.dispose()
