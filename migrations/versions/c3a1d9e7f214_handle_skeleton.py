"""users.handle_skeleton: what a handle looks like (TR39 skeleton), unique

Revision ID: c3a1d9e7f214
Revises: 22a6f335b586
Create Date: 2026-11-25 21:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c3a1d9e7f214'
down_revision = '22a6f335b586'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handle_skeleton', sa.String(length=64), nullable=True))
    from forum.auth.handles import skeleton

    conn = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('handle', sa.String),
                     sa.column('handle_skeleton', sa.String))
    seen: set[str] = set()
    # The oldest account keeps its skeleton; a later look-alike is left NULL
    # (it cannot be renamed here, and the unique index must hold).
    for user_id, handle in conn.execute(sa.select(users.c.id, users.c.handle).order_by(users.c.id)).all():
        skel = skeleton(handle)
        if skel in seen:
            continue
        seen.add(skel)
        conn.execute(users.update().where(users.c.id == user_id).values(handle_skeleton=skel))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_users_handle_skeleton'), ['handle_skeleton'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_handle_skeleton'), type_='unique')
        batch_op.drop_column('handle_skeleton')
