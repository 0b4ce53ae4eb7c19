"""board_follows (a board's level for a member) and topic_reads (unread counts for tracking)

Revision ID: c2d9e6f4b817
Revises: c8e1f4a2b7d6
Create Date: 2026-12-07 04:15:00

"""
from alembic import op
import sqlalchemy as sa

from forum.models.base import UTCDateTime

revision = 'c2d9e6f4b817'
down_revision = 'c8e1f4a2b7d6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'board_follows',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('board_id', sa.Integer(), nullable=False),
        sa.Column('level', sa.String(length=16), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['board_id'], ['boards.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'board_id'),
    )
    with op.batch_alter_table('board_follows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_follows_board_id'), ['board_id'], unique=False)
    op.create_table(
        'topic_reads',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('topic_id', sa.Integer(), nullable=False),
        sa.Column('last_read_number', sa.Integer(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'topic_id'),
    )
    with op.batch_alter_table('topic_reads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_topic_reads_topic_id'), ['topic_id'], unique=False)


def downgrade():
    op.drop_table('topic_reads')
    op.drop_table('board_follows')
