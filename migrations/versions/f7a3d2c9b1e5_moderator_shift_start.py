"""users.shift_started_at: a moderator's shift is kept on the account, not in the session

Revision ID: f7a3d2c9b1e5
Revises: e4b2c8f1a7d3
Create Date: 2026-12-07 01:10:00

"""
from alembic import op
import sqlalchemy as sa

from forum.models.base import UTCDateTime


revision = 'f7a3d2c9b1e5'
down_revision = 'e4b2c8f1a7d3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shift_started_at', UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('shift_started_at')
