"""notification_settings: optional email (immediate or daily digest), watch own topics

Revision ID: b8e4c1d7a903
Revises: a5d8e2f1c734
Create Date: 2026-12-07 04:00:00

"""
from alembic import op
import sqlalchemy as sa

from forum.models.base import UTCDateTime

revision = 'b8e4c1d7a903'
down_revision = 'a5d8e2f1c734'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notification_settings',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('email_mode', sa.String(length=16), nullable=False),
        sa.Column('watch_own_topics', sa.Boolean(), nullable=False),
        sa.Column('digest_from', UTCDateTime(), nullable=True),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id'),
    )
    with op.batch_alter_table('notification_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_settings_email_mode'), ['email_mode'], unique=False)


def downgrade():
    op.drop_table('notification_settings')
