"""search index: SQLite FTS5 table post_search, or posts.search_vector (tsvector, GIN) on PostgreSQL

Both kept current by triggers (forum/search/schema.py holds the statements,
shared with db.create_all); existing posts are indexed by the upgrade.

Revision ID: e4b21f0c9d15
Revises: f7a3d2c9b1e5
Create Date: 2026-12-07 00:30:00

"""
from alembic import op

from forum.search import schema

revision = 'e4b21f0c9d15'
down_revision = 'f7a3d2c9b1e5'
branch_labels = None
depends_on = None


def upgrade():
    for sql in schema.statements(op.get_bind().dialect.name, backfill=True):
        op.execute(sql)


def downgrade():
    for sql in schema.drop_statements(op.get_bind().dialect.name):
        op.execute(sql)
