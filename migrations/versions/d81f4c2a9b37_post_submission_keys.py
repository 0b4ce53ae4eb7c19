"""posts.submission_key (unique per author) and posts.edit_key: one-time form keys

Revision ID: d81f4c2a9b37
Revises: c3a1d9e7f214
Create Date: 2026-12-06 21:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd81f4c2a9b37'
down_revision = 'c3a1d9e7f214'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('edit_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_posts_author_submission_key', ['author_id', 'submission_key'])


def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_constraint('uq_posts_author_submission_key', type_='unique')
        batch_op.drop_column('edit_key')
        batch_op.drop_column('submission_key')
