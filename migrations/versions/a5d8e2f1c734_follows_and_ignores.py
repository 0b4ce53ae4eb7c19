"""topic_follows (watching / muted) and member_ignores

Revision ID: a5d8e2f1c734
Revises: f7c3a9d2e610
Create Date: 2026-12-07 01:35:00

"""
from alembic import op
import sqlalchemy as sa

from forum.models.base import UTCDateTime

revision = 'a5d8e2f1c734'
down_revision = 'f7c3a9d2e610'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'topic_follows',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('topic_id', sa.Integer(), nullable=False),
        sa.Column('level', sa.String(length=16), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'topic_id'),
    )
    with op.batch_alter_table('topic_follows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_topic_follows_topic_id'), ['topic_id'], unique=False)
    op.create_table(
        'member_ignores',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('ignored_id', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['ignored_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'ignored_id'),
    )
    with op.batch_alter_table('member_ignores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_ignores_ignored_id'), ['ignored_id'], unique=False)


def downgrade():
    op.drop_table('member_ignores')
    op.drop_table('topic_follows')
