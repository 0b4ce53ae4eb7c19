"""health consent asked at login: members who joined before it existed

Revision ID: c8e1f4a2b7d6
Revises: b8e4c1d7a903
Create Date: 2026-12-07 04:15:00

Members who registered before registration asked for explicit consent to
process health information have ``health_consent_at`` NULL. Consent cannot
be assumed (GDPR art. 9(2)(a) needs it given, not inferred), so no row is
backfilled: those members are asked at their next login. The new column
records a "no", with its time, so a refusal is a recorded answer too.
"""
from alembic import op
import sqlalchemy as sa

from forum.models.base import UTCDateTime

revision = 'c8e1f4a2b7d6'
down_revision = 'b8e4c1d7a903'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('health_consent_declined_at', UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('health_consent_declined_at')
