"""support_conversations: private conversations between a member and the moderation team

Revision ID: e4b2c8f1a7d3
Revises: b972a967f43e
Create Date: 2026-12-07 00:30:00

"""
from alembic import op
import sqlalchemy as sa

from forum.models.base import UTCDateTime


revision = 'e4b2c8f1a7d3'
down_revision = 'b972a967f43e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'support_conversations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('is_anonymous', sa.Boolean(), nullable=False),
        sa.Column('review_id', sa.Integer(), nullable=True),
        sa.Column('escalation_id', sa.Integer(), nullable=True),
        sa.Column('opened_by_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_message_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_team_message_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_member_message_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('member_read_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('team_read_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('closed_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['users.id']),
        sa.ForeignKeyConstraint(['review_id'], ['reviews.id']),
        sa.ForeignKeyConstraint(['escalation_id'], ['escalations.id']),
        sa.ForeignKeyConstraint(['opened_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('support_conversations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_conversations_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_conversations_review_id'), ['review_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_conversations_escalation_id'), ['escalation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_conversations_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_conversations_last_message_at'), ['last_message_at'],
                              unique=False)
    op.create_table(
        'support_participants',
        sa.Column('conversation_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('joined_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['conversation_id'], ['support_conversations.id']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('conversation_id', 'user_id'),
    )
    op.create_table(
        'support_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.Integer(), nullable=False),
        sa.Column('from_team', sa.Boolean(), nullable=False),
        sa.Column('submission_key', sa.String(length=64), nullable=True),
        sa.Column('body_source', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=False),
        sa.Column('is_anonymous', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('verdict_action', sa.String(length=24), nullable=False),
        sa.Column('verdict_risk', sa.String(length=16), nullable=False),
        sa.Column('verdict_categories', sa.JSON(), nullable=False),
        sa.Column('verdict', sa.JSON(), nullable=False),
        sa.Column('moderator_note', sa.Text(), nullable=True),
        sa.Column('support_count', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['users.id']),
        sa.ForeignKeyConstraint(['conversation_id'], ['support_conversations.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('support_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_messages_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_messages_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_messages_status'), ['status'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_team_messages', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_team_messages')
    with op.batch_alter_table('support_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_messages_status'))
        batch_op.drop_index(batch_op.f('ix_support_messages_author_id'))
        batch_op.drop_index(batch_op.f('ix_support_messages_conversation_id'))
    op.drop_table('support_messages')
    op.drop_table('support_participants')
    with op.batch_alter_table('support_conversations', schema=None) as batch_op:
        for name in ('last_message_at', 'status', 'escalation_id', 'review_id', 'member_id'):
            batch_op.drop_index(batch_op.f(f'ix_support_conversations_{name}'))
    op.drop_table('support_conversations')
