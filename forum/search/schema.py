"""The search index's database objects, for each back-end.

SQLite: an FTS5 table ``post_search`` (rowid = posts.id) kept current by
triggers. PostgreSQL: a ``posts.search_vector`` tsvector column with a GIN
index, filled by a trigger. Triggers rather than service code keep the
index current on *every* write (a reply, an edit, a title fix), whichever
code path makes it. Only the words are indexed: who may see a post is
decided by the query (forum.search.backends), never by the index.

The objects are not SQLAlchemy models (neither back-end's can be): the
Alembic migration and ``db.create_all`` (tests) run the same statements,
and ``include_name`` keeps autogenerate from proposing to drop them.
"""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Connection

SQLITE_TABLE = "post_search"
PG_COLUMN = "search_vector"
PG_INDEX = "ix_posts_search_vector"
# The PostgreSQL text-search configuration: English stemming, like FTS5's porter tokenizer.
PG_CONFIG = "english"

SQLITE_CREATE = [
    # porter: "struggling" finds "struggle"; remove_diacritics: "cafe" finds "café".
    f"CREATE VIRTUAL TABLE {SQLITE_TABLE} USING fts5(title, body, "
    "tokenize = 'porter unicode61 remove_diacritics 2')",
    f"""CREATE TRIGGER post_search_insert AFTER INSERT ON posts BEGIN
      INSERT INTO {SQLITE_TABLE} (rowid, title, body) VALUES (NEW.id,
        CASE WHEN NEW.number = 1 THEN (SELECT title FROM topics WHERE id = NEW.topic_id) ELSE '' END,
        NEW.body_source);
    END""",
    f"""CREATE TRIGGER post_search_update AFTER UPDATE OF body_source ON posts BEGIN
      UPDATE {SQLITE_TABLE} SET body = NEW.body_source WHERE rowid = NEW.id;
    END""",
    f"""CREATE TRIGGER post_search_delete AFTER DELETE ON posts BEGIN
      DELETE FROM {SQLITE_TABLE} WHERE rowid = OLD.id;
    END""",
    f"""CREATE TRIGGER topic_search_title AFTER UPDATE OF title ON topics BEGIN
      UPDATE {SQLITE_TABLE} SET title = NEW.title
        WHERE rowid IN (SELECT id FROM posts WHERE topic_id = NEW.id AND number = 1);
    END""",
]
SQLITE_BACKFILL = (
    f"INSERT INTO {SQLITE_TABLE} (rowid, title, body) SELECT p.id, "
    "CASE WHEN p.number = 1 THEN t.title ELSE '' END, p.body_source "
    "FROM posts p JOIN topics t ON t.id = p.topic_id"
)
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS topic_search_title", "DROP TRIGGER IF EXISTS post_search_delete",
    "DROP TRIGGER IF EXISTS post_search_update", "DROP TRIGGER IF EXISTS post_search_insert",
    f"DROP TABLE IF EXISTS {SQLITE_TABLE}",
]

PG_CREATE = [
    f"ALTER TABLE posts ADD COLUMN {PG_COLUMN} tsvector",
    f"""CREATE OR REPLACE FUNCTION posts_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.{PG_COLUMN} :=
        setweight(to_tsvector('{PG_CONFIG}', coalesce(CASE WHEN NEW.number = 1 THEN
          (SELECT title FROM topics WHERE id = NEW.topic_id) END, '')), 'A') ||
        setweight(to_tsvector('{PG_CONFIG}', coalesce(NEW.body_source, '')), 'B');
      RETURN NEW;
    END $$""",
    "CREATE TRIGGER posts_search_vector BEFORE INSERT OR UPDATE OF body_source, number, topic_id ON posts "
    "FOR EACH ROW EXECUTE FUNCTION posts_search_vector()",
    # A title change re-indexes its opening post (through the trigger above).
    """CREATE OR REPLACE FUNCTION topics_search_title() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE posts SET body_source = body_source WHERE topic_id = NEW.id AND number = 1;
      RETURN NULL;
    END $$""",
    "CREATE TRIGGER topics_search_title AFTER UPDATE OF title ON topics "
    "FOR EACH ROW EXECUTE FUNCTION topics_search_title()",
    f"CREATE INDEX {PG_INDEX} ON posts USING gin ({PG_COLUMN})",
]
PG_BACKFILL = "UPDATE posts SET body_source = body_source"
PG_DROP = [
    "DROP TRIGGER IF EXISTS topics_search_title ON topics", "DROP FUNCTION IF EXISTS topics_search_title()",
    "DROP TRIGGER IF EXISTS posts_search_vector ON posts", "DROP FUNCTION IF EXISTS posts_search_vector()",
    f"DROP INDEX IF EXISTS {PG_INDEX}", f"ALTER TABLE posts DROP COLUMN IF EXISTS {PG_COLUMN}",
]


def statements(dialect: str, *, backfill: bool) -> list[str]:
    if dialect == "sqlite":
        return SQLITE_CREATE + ([SQLITE_BACKFILL] if backfill else [])
    if dialect == "postgresql":
        return PG_CREATE + ([PG_BACKFILL] if backfill else [])
    raise RuntimeError(f"search has no back-end for the {dialect} database")


def drop_statements(dialect: str) -> list[str]:
    return SQLITE_DROP if dialect == "sqlite" else PG_DROP


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic autogenerate filter: the search objects are not models."""
    if type_ == "table" and name and name.startswith(SQLITE_TABLE):
        return False  # the FTS5 table and its shadow tables
    if type_ == "column" and name == PG_COLUMN:
        return False
    return not (type_ == "index" and name == PG_INDEX)


def _after_posts_created(target, connection: Connection, **_kw) -> None:
    """``db.create_all`` (the test suite) builds the same objects as the migration."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        # drop_all leaves the virtual table behind; stale rows would match new posts' ids.
        for sql in SQLITE_DROP:
            connection.exec_driver_sql(sql)
    for sql in statements(dialect, backfill=False):
        connection.exec_driver_sql(sql)


def install() -> None:
    from forum.models import Post

    if not event.contains(Post.__table__, "after_create", _after_posts_created):
        # posts is created after topics (its foreign key), so both exist here.
        event.listen(Post.__table__, "after_create", _after_posts_created)
